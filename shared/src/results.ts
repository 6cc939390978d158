/**
 * Every results file a bench or break script writes goes through writeResult(): one
 * envelope (poc, bench, command, recordedAt, machine) and the bench's own keys beside it
 * at the top level, so `/rows/0/p99Ms`-style JSON pointers into results stay short.
 *
 * Where it goes: with `--write` the committed `results/` of the POC; without it
 * `results/local/` (git-ignored), so a casual run never dirties the checkout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, type } from 'node:os';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { PocError } from './errors.ts';

const unknownOr = <T extends z.ZodType>(schema: T) => z.union([schema, z.literal('unknown')]);

/**
 * The machine a result was measured on. Results recorded before this envelope existed
 * say 'unknown' where nobody wrote the value down; extra keys they carried stay.
 */
export const machineSchema = z.looseObject({
  cores: unknownOr(z.int().positive()),
  cpuModel: z.string().min(1),
  totalMemoryBytes: unknownOr(z.int().positive()),
  node: z.string().min(1),
  os: z.string().min(1),
  /** Service name → version of the server the bench talked to, e.g. { postgres: '15.18' }. */
  services: z.record(z.string(), z.string().min(1)),
});

export type Machine = z.infer<typeof machineSchema>;

export const ENVELOPE_KEYS = ['poc', 'bench', 'command', 'recordedAt', 'machine'] as const;

/** The envelope every `pocs/*\/results/*.json` carries; the bench's data keys sit beside it. */
export const resultEnvelopeSchema = z.looseObject({
  poc: z.string().regex(/^poc-\d{2}$/, 'must be "poc-NN"'),
  bench: z.string().min(1),
  command: z.string().regex(/^pnpm /, 'must be the pnpm command that re-runs it'),
  recordedAt: z.iso.datetime(),
  machine: machineSchema,
});

export type ResultEnvelope = z.infer<typeof resultEnvelopeSchema>;

/** A results object that does not fit the envelope; `problems` name each key. */
export class ResultEnvelopeError extends PocError {
  readonly problems: readonly string[];

  constructor(where: string, problems: readonly string[]) {
    super(`${where}: results envelope invalid:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export const isResultEnvelopeError = (e: unknown): e is ResultEnvelopeError =>
  e instanceof ResultEnvelopeError;

/** Problems of a parsed results file, each naming the key: `recordedAt: missing`. */
export function envelopeProblems(json: unknown): string[] {
  const parsed = resultEnvelopeSchema.safeParse(json);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const missing =
      issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
    return missing ? `${key}: missing` : `${key}: ${issue.message}`;
  });
}

/** Cores, CPU model, memory, Node and OS of this machine, plus the service versions given. */
export function describeMachine(services: Record<string, string> = {}): Machine {
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() || 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    os: `${type()} ${release()} ${process.arch}`,
    services,
  };
}

/** Where results go: `outDir` if given, else committed `results/` with write, else `results/local/`. */
export function resultsDir({
  pocDir,
  write,
  outDir,
}: {
  pocDir: string;
  write: boolean;
  outDir?: string | undefined;
}): string {
  if (outDir) return outDir;
  return write ? join(pocDir, 'results') : join(pocDir, 'results', 'local');
}

const shellQuote = (arg: string) =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;

/** `pnpm --filter poc-71 bench -- --sizes 2,4 --write`: the command that re-runs this. */
export function commandLine(poc: string, script: string, argv: readonly string[]): string {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const tail = args.length ? ` -- ${args.map(shellQuote).join(' ')}` : '';
  return `pnpm --filter ${poc} ${script}${tail}`;
}

export interface WriteResultOptions<D extends Record<string, unknown>> {
  /** The POC folder; results land in its results/ or results/local/. */
  pocDir: string;
  /** Package name, "poc-NN". */
  poc: string;
  /** Which bench or experiment this is; also the file name unless `name` is given. */
  bench: string;
  /** The package.json script that runs it: "bench", "bench:outage", "break". */
  script: string;
  /** Flags it ran with, repeated in `command` (default: this process's argv). */
  argv?: readonly string[];
  /** --write: update the committed results/. */
  write: boolean;
  /** An explicit output folder (a --out flag) overrides results/ and results/local/. */
  outDir?: string | undefined;
  /** Versions of the services the bench used, e.g. { postgres: '15.18' }. */
  services?: Record<string, string>;
  /** More facts about what it ran on, merged into `machine` (e.g. { brokers: 3 }). */
  machineExtra?: Record<string, unknown>;
  /** The measured data: its keys sit beside the envelope's, at the top level. */
  data: D;
  /** JSON file name without `.json` (default: bench). */
  name?: string;
  /** Companion files (charts) written beside the JSON: file name → content. */
  files?: Record<string, string>;
  /** Clock, for tests. */
  now?: () => Date;
}

/**
 * Write `{ ...envelope, ...data }` as `<name>.json` (plus `files`) and print where it went.
 * Throws ResultEnvelopeError if data reuses an envelope key or the envelope is invalid.
 */
export async function writeResult<D extends Record<string, unknown>>(
  options: WriteResultOptions<D>,
): Promise<{ dir: string; jsonPath: string; result: ResultEnvelope & D }> {
  const { pocDir, poc, bench, script, data, write, now = () => new Date() } = options;
  const name = options.name ?? bench;
  const clashes = ENVELOPE_KEYS.filter((k) => k in data);
  if (clashes.length)
    throw new ResultEnvelopeError(
      `${name}.json`,
      clashes.map((k) => `${k}: set by writeResult(), not by the bench's data`),
    );
  const envelope = {
    poc,
    bench,
    command: commandLine(poc, script, options.argv ?? process.argv.slice(2)),
    recordedAt: now().toISOString(),
    machine: { ...describeMachine(options.services), ...options.machineExtra },
  };
  const problems = envelopeProblems(envelope);
  if (problems.length) throw new ResultEnvelopeError(`${name}.json`, problems);
  const result = { ...envelope, ...data } as ResultEnvelope & D;

  const dir = resultsDir({ pocDir, write, outDir: options.outDir });
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, `${name}.json`);
  await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  for (const [file, content] of Object.entries(options.files ?? {}))
    await writeFile(join(dir, file), content);
  const shown = relative(process.cwd(), dir) || '.';
  const extra = Object.keys(options.files ?? {});
  console.log(
    `wrote ${[`${name}.json`, ...extra].join(', ')} to ${shown}/${write || options.outDir ? '' : ' (git-ignored; --write updates the committed results/)'}`,
  );
  return { dir, jsonPath, result };
}
