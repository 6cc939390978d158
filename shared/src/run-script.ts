import { type SpawnSyncReturns, spawnSync } from 'node:child_process';

export interface RunScriptOptions {
  /** The package the script belongs to: tsx and relative paths resolve from here. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Run a TypeScript script to completion the way the package scripts do (`node --import
 * tsx`), capturing stdout, stderr and the exit code: for tests of a CLI's flags, usage and
 * exit codes (2 for a bad flag) without going through pnpm.
 */
export function runScript(
  script: string,
  args: string[],
  { cwd, env = process.env, timeoutMs = 30_000 }: RunScriptOptions,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}
