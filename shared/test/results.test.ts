import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commandLine,
  envelopeProblems,
  isResultEnvelopeError,
  resultsDir,
  writeResult,
} from '../src/results.ts';

const pocDir = await mkdtemp(join(tmpdir(), 'results-test-'));
afterAll(() => rm(pocDir, { recursive: true, force: true }));
const now = () => new Date('2026-12-03T12:00:00.000Z');

describe('writeResult', () => {
  it('writes the envelope and the data keys side by side, to results/local/ without --write', async () => {
    const { jsonPath, result } = await writeResult({
      pocDir,
      poc: 'poc-71',
      bench: 'sweep',
      script: 'bench',
      argv: ['--', '--sizes', '2,4'],
      write: false,
      services: { postgres: '15.18' },
      machineExtra: { brokers: 3 },
      data: { atLeastOnce: { duplicates: 3 }, rows: [1, 2] },
      files: { 'sweep.svg': '<svg/>' },
      now,
    });
    expect(jsonPath).toBe(join(pocDir, 'results', 'local', 'sweep.json'));
    const written = JSON.parse(await readFile(jsonPath, 'utf8'));
    expect(written).toEqual(result);
    expect(Object.keys(written)).toEqual([
      'poc',
      'bench',
      'command',
      'recordedAt',
      'machine',
      'atLeastOnce',
      'rows',
    ]);
    expect(written.command).toBe('pnpm --filter poc-71 bench -- --sizes 2,4');
    expect(written.recordedAt).toBe('2026-12-03T12:00:00.000Z');
    expect(written.atLeastOnce.duplicates).toBe(3);
    expect(written.machine.services).toEqual({ postgres: '15.18' });
    expect(written.machine.brokers).toBe(3);
    expect(written.machine.node).toBe(process.version);
    expect(envelopeProblems(written)).toEqual([]);
    expect((await readdir(join(pocDir, 'results', 'local'))).sort()).toEqual([
      'sweep.json',
      'sweep.svg',
    ]);
  });

  it('writes to the committed results/ with --write, and to --out when given', async () => {
    const base = { pocDir, poc: 'poc-71', bench: 'sweep', script: 'bench', data: {}, now };
    const committed = await writeResult({ ...base, argv: ['--write'], write: true });
    expect(committed.jsonPath).toBe(join(pocDir, 'results', 'sweep.json'));
    expect(committed.result.command).toBe('pnpm --filter poc-71 bench -- --write');
    const out = join(pocDir, 'elsewhere');
    const elsewhere = await writeResult({ ...base, argv: [], write: false, outDir: out });
    expect(elsewhere.jsonPath).toBe(join(out, 'sweep.json'));
    expect(elsewhere.result.command).toBe('pnpm --filter poc-71 bench');
  });

  it('refuses data that reuses an envelope key', async () => {
    const err = await writeResult({
      pocDir,
      poc: 'poc-71',
      bench: 'sweep',
      script: 'bench',
      argv: [],
      write: false,
      data: { machine: 'mine', recordedAt: 'then' },
    }).catch((e: unknown) => e);
    expect(isResultEnvelopeError(err)).toBe(true);
    expect((err as { problems: string[] }).problems).toEqual([
      "recordedAt: set by writeResult(), not by the bench's data",
      "machine: set by writeResult(), not by the bench's data",
    ]);
  });
});

describe('envelope helpers', () => {
  it('names each missing or bad key', () => {
    expect(
      envelopeProblems({ poc: 'poc-7', bench: 'x', at: '2026-01-01T00:00:00Z', machine: {} }),
    ).toEqual([
      'poc: must be "poc-NN"',
      'command: missing',
      'recordedAt: missing',
      'machine.cores: Invalid input',
      'machine.cpuModel: missing',
      'machine.totalMemoryBytes: Invalid input',
      'machine.node: missing',
      'machine.os: missing',
      'machine.services: missing',
    ]);
  });

  it('quotes flags with spaces in the command and drops the leading --', () => {
    expect(commandLine('poc-49', 'break', ['--', '--label', 'two words', '--runs', '3'])).toBe(
      "pnpm --filter poc-49 break -- --label 'two words' --runs 3",
    );
  });

  it('resultsDir: results/local/ by default', () => {
    expect(resultsDir({ pocDir: '/p', write: false })).toBe('/p/results/local');
    expect(resultsDir({ pocDir: '/p', write: true })).toBe('/p/results');
    expect(resultsDir({ pocDir: '/p', write: true, outDir: '/o' })).toBe('/o');
  });
});
