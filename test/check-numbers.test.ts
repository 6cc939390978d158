import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkFiles,
  evaluate,
  listDocs,
  repoRoot,
  resolvePointer,
  roundTo,
} from '../scripts/check-numbers.ts';

// A scratch repo: one POC with a results file, one doc that quotes it.
let root: string;
const readme = () => join(root, 'pocs', 'poc-99-fixture', 'README.md');
const doc = () => join(root, 'docs', 'articles', 'fixture.md');

const results = {
  runs: {
    'at-least-once': { duplicates: 7500, copyMs: 26040, brokerKill: null },
    transactional: { duplicates: 0, copyMs: 29621 },
  },
  points: [
    { perCommit: 10, txPerSec: 127, aloPerSec: 2289 },
    { perCommit: 1000, txPerSec: 9958, aloPerSec: 19028 },
  ],
  frames: [
    'at refundOrderLeaky (src/refund-leaky.ts:18:29)',
    'at Object.<anonymous> (src/app.ts:93:31)',
  ],
  'a/b': { '~x': 3 },
};

async function writeReadme(numbers: string): Promise<void> {
  await writeFile(
    readme(),
    [
      '# POC #99 — Fixture',
      '',
      '## The numbers',
      '',
      numbers,
      '',
      '## Break it',
      '',
      'Kills 3 copiers.',
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'check-numbers-'));
  await mkdir(join(root, 'pocs', 'poc-99-fixture', 'results'), { recursive: true });
  await mkdir(join(root, 'docs', 'articles'), { recursive: true });
  await writeFile(
    join(root, 'pocs', 'poc-99-fixture', 'results', 'break.json'),
    JSON.stringify(results),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

const R = 'results/break.json';

describe('pointers and rounding', () => {
  it('resolves JSON pointers with escapes and * wildcards', () => {
    expect(resolvePointer(results, '/runs/at-least-once/duplicates')).toBe(7500);
    expect(resolvePointer(results, '/a~1b/~0x')).toBe(3);
    expect(resolvePointer(results, '/points/*/txPerSec')).toEqual([127, 9958]);
    expect(resolvePointer(results, '/points/2/txPerSec')).toBeUndefined();
    expect(resolvePointer(results, '/runs/nope')).toBeUndefined();
  });

  it('rounds half away from zero at the displayed precision', () => {
    expect(roundTo(26.04, 1)).toBe(26);
    expect(roundTo(2.25, 1)).toBe(2.3);
    expect(roundTo(-2.5, 0)).toBe(-3);
  });

  it('evaluates scaling, ratios of two pointers and folds, left to right', async () => {
    const load = async () => results;
    expect(await evaluate(`${R}#/runs/at-least-once/copyMs / 1000`, root, load)).toBe(26.04);
    expect(
      await evaluate(`${R}#/points/1/txPerSec / #/points/1/aloPerSec * 100`, root, load),
    ).toBeCloseTo(52.33, 2);
    expect(await evaluate(`${R}#/points/*/txPerSec max`, root, load)).toBe(9958);
    await expect(evaluate('#/points/0/txPerSec', root, load)).rejects.toThrow(
      'no file named before it',
    );
  });
});

describe('the numbers check', () => {
  it('passes when every figure matches its results value', async () => {
    await writeReadme(
      [
        `At-least-once wrote **7,500**<!-- n: ${R}#/runs/at-least-once/duplicates --> duplicates in`,
        `26.0<!-- n: ${R}#/runs/at-least-once/copyMs / 1000 --> s; transactions wrote 0<!-- n: ${R}#/runs/transactional/duplicates -->.`,
        `That is 52<!-- n: ${R}#/points/1/txPerSec / #/points/1/aloPerSec * 100 --> % of at-least-once,`,
        `at most 9,958<!-- n: ${R}#/points/*/txPerSec max --> msg/s, from \`src/app.ts:93:31\`<!-- n: ${R}#/frames -->.`,
        'Each run had 3<!-- n: config --> partitions, as in 2026.',
        '',
        '```text',
        'at refundOrderLeaky (src/refund-leaky.ts:18:29)',
        'at Object.<anonymous> (src/app.ts:93:31)',
        '```',
        `<!-- n: ${R}#/frames -->`,
      ].join('\n'),
    );
    const result = await checkFiles([readme()], root);
    expect(result).toEqual({ references: 7, problems: [], files: 1 });
  });

  it('fails on a drifted figure with file:line, the text value and the file value', async () => {
    await writeReadme(
      `At-least-once wrote **8,334**<!-- n: ${R}#/runs/at-least-once/duplicates --> duplicates.`,
    );
    const result = await checkFiles([readme()], root);
    expect(result.problems).toEqual([
      `pocs/poc-99-fixture/README.md:5: text 8,334, file 7,500 (7500) (${R}#/runs/at-least-once/duplicates)`,
    ]);
  });

  it('fails when the rounding hides no drift but the decimals do', async () => {
    await writeReadme(`Copy took 26.1<!-- n: ${R}#/runs/at-least-once/copyMs / 1000 --> s.`);
    const result = await checkFiles([readme()], root);
    expect(result.problems).toEqual([
      `pocs/poc-99-fixture/README.md:5: text 26.1, file 26.0 (26.04) (${R}#/runs/at-least-once/copyMs / 1000)`,
    ]);
  });

  it('fails on a pointer that resolves to nothing, a null and a missing file', async () => {
    await writeReadme(
      [
        `Wrote 7,500<!-- n: ${R}#/runs/at-least-once/duplicate --> duplicates,`,
        `killed broker 2<!-- n: ${R}#/runs/at-least-once/brokerKill -->,`,
        `copied 10,000<!-- n: results/gone.json#/messages --> records.`,
      ].join('\n'),
    );
    const result = await checkFiles([readme()], root);
    expect(result.problems).toEqual([
      `pocs/poc-99-fixture/README.md:5: ${R}#/runs/at-least-once/duplicate resolves to nothing`,
      `pocs/poc-99-fixture/README.md:6: text 2, file null (not a number) (${R}#/runs/at-least-once/brokerKill)`,
      'pocs/poc-99-fixture/README.md:7: pocs/poc-99-fixture/results/gone.json does not exist',
    ]);
    expect(result.references).toBe(3);
  });

  it('checks a figure against a line of a committed text result', async () => {
    await writeFile(
      join(root, 'pocs', 'poc-99-fixture', 'results', 'break-run.txt'),
      'Too small: what moved\n→ 895 requests gave up waiting for a connection (baseline: 0).\n',
    );
    await writeReadme(
      [
        '895<!-- n: results/break-run.txt#L2 --> requests gave up.',
        '896<!-- n: results/break-run.txt#L2 --> requests gave up.',
        '895<!-- n: results/break-run.txt#L9 --> requests gave up.',
      ].join('\n'),
    );
    const result = await checkFiles([readme()], root);
    expect(result.problems).toEqual([
      'pocs/poc-99-fixture/README.md:6: text 896, file line "→ 895 requests gave up waiting for a connection (baseline: 0)." has no such number (results/break-run.txt#L2)',
      'pocs/poc-99-fixture/README.md:7: results/break-run.txt#L9 resolves to nothing',
    ]);
  });

  it('fails on a code block that no longer matches the strings in the file', async () => {
    await writeReadme(
      [
        '```text',
        'at Object.<anonymous> (src/app.ts:104:31)',
        '```',
        `<!-- n: ${R}#/frames/1 -->`,
      ].join('\n'),
    );
    const result = await checkFiles([readme()], root);
    expect(result.problems).toEqual([
      `pocs/poc-99-fixture/README.md:8: code block ["at Object.<anonymous> (src/app.ts:104:31)"], file ["at Object.<anonymous> (src/app.ts:93:31)"]`,
    ]);
  });

  it('fails on an unannotated figure in "The numbers", not on years, labels, off stretches or other sections', async () => {
    await writeReadme(
      [
        '| run | duplicates |',
        '| --- | ---------- |',
        `| 3 kills | 7,500<!-- n: ${R}#/runs/at-least-once/duplicates --> |`,
        '| 3 kills + broker | 0 |',
        '',
        'In 2026 POC #49 copied 10,000 records with kafkajs 2.2.4 on a 3-broker cluster.',
        '',
        '<!-- n: off the settings below are inputs -->',
        '| setting | value |',
        '| ------- | ----- |',
        '| records | 10,000 |',
        '<!-- n: on -->',
        'Then 42 more.',
      ].join('\n'),
    );
    const result = await checkFiles([readme()], root);
    expect(result.problems).toEqual([
      'pocs/poc-99-fixture/README.md:8: 0 has no reference (add <!-- n: results/….json#/pointer --> or mark it <!-- n: config|external|example|id -->)',
      'pocs/poc-99-fixture/README.md:10: 10,000 has no reference (add <!-- n: results/….json#/pointer --> or mark it <!-- n: config|external|example|id -->)',
      'pocs/poc-99-fixture/README.md:17: 42 has no reference (add <!-- n: results/….json#/pointer --> or mark it <!-- n: config|external|example|id -->)',
    ]);
  });

  it('checks table figures in docs, where paths are relative to the doc', async () => {
    const rel = '../../pocs/poc-99-fixture/results/break.json';
    await writeFile(
      doc(),
      [
        '# Fixture',
        '',
        'Prose 8,334 outside a table is not required to carry a reference.',
        '',
        '| POC | metric | before | after |',
        '| --- | ------ | ------ | ----- |',
        `| #99 | duplicates | 7,500<!-- n: ${rel}#/runs/at-least-once/duplicates --> | 0<!-- n: ${rel}#/runs/transactional/duplicates --> |`,
        '| #99 | outage at Example Corp | 47<!-- n: external (their postmortem) --> min | 12 min |',
        '',
      ].join('\n'),
    );
    const result = await checkFiles([doc()], root);
    expect(result).toEqual({
      references: 2,
      files: 1,
      problems: [
        'docs/articles/fixture.md:8: 12 has no reference (add <!-- n: results/….json#/pointer --> or mark it <!-- n: config|external|example|id -->)',
      ],
    });
  });

  it('exits non-zero from the command line and prints the one-line summary', async () => {
    await writeReadme(
      `Wrote **8,334**<!-- n: ${R}#/runs/at-least-once/duplicates --> and 0<!-- n: ${R}#/runs/transactional/duplicates -->.`,
    );
    let status = 0;
    let stdout = '';
    let stderr = '';
    try {
      execFileSync('pnpm', ['exec', 'tsx', 'scripts/check-numbers.ts', readme()], {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      status = e.status;
      stdout = e.stdout;
      stderr = e.stderr;
    }
    expect(status).toBe(1);
    expect(stdout.trim()).toBe('2 references checked in 1 file, 1 mismatch');
    expect(stderr).toContain('text 8,334, file 7,500 (7500)');
  });
});

describe('the repo', () => {
  it('has every README and doc figure matching its results file', async () => {
    const result = await checkFiles(await listDocs());
    expect(result.problems).toEqual([]);
    expect(result.references).toBeGreaterThan(900);
  });
});
