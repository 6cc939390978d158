import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { isExecutable, runCommand, which, withProgress } from './command.ts';
import { InstallError } from './errors.ts';
import { cacheRootFrom, infraDir, repoRoot } from './paths.ts';

const SOURCE_DIR = join(infraDir, 'compose-check');

/** Every compose file a user might run: infra's services and each POC's (the template's has
 * placeholders; the POCs scaffolded from it are checked instead). */
export function composeFiles(root: string = repoRoot): string[] {
  const infraFiles = readdirSync(join(root, 'infra', 'compose'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(root, 'infra', 'compose', f));
  const pocFiles = readdirSync(join(root, 'pocs'))
    .map((dir) => join(root, 'pocs', dir, 'docker-compose.yml'))
    .filter(existsSync);
  return [...infraFiles.sort(), ...pocFiles.sort()];
}

/** The binary is keyed by its sources, so a change to main.go or go.sum builds a new one. */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum'])
    hash.update(readFileSync(join(SOURCE_DIR, file)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * Build infra/compose-check (the Compose Specification's reference loader, pinned in its
 * go.mod) once per machine into the cache, and return its path.
 */
export async function ensureComposeCheck(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = () => {},
): Promise<string> {
  const dir = join(cacheRootFrom(env), `compose-check-${sourceHash()}`);
  const binary = join(dir, 'compose-check');
  if (isExecutable(binary)) return binary;
  const go = which('go', env);
  if (!go) throw new InstallError('compose-check needs Go to build (https://go.dev/dl/)');
  mkdirSync(dir, { recursive: true });
  // A private output file, renamed into place: two builds at once never see half a binary.
  const staging = mkdtempSync(join(dir, 'build-'));
  try {
    log('building compose-check (compose-go loader) with go build (first time ~30 s)');
    const { code, output } = await withProgress(
      runCommand(go, ['build', '-o', join(staging, 'compose-check'), '.'], {
        cwd: SOURCE_DIR,
        env: { ...process.env, ...env, CGO_ENABLED: '0' },
      }),
      (s) => log(`still building compose-check (${s} s)`),
    );
    if (code !== 0)
      throw new InstallError(`go build compose-check failed (code ${code}):\n${output.trim()}`);
    renameSync(join(staging, 'compose-check'), binary);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

export interface ComposeCheckResult {
  code: number;
  output: string;
}

/** Validate files the way `docker compose config --quiet` does; no Docker engine needed. */
export async function checkComposeFiles(
  files: string[],
  { env = process.env, log }: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<ComposeCheckResult> {
  const binary = await ensureComposeCheck(env, log);
  const args = files.map((f) => relative(repoRoot, f));
  const { code, output } = await runCommand(binary, args, { cwd: repoRoot, env });
  return { code, output };
}
