import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** infra/ itself; the repo root is its parent. Computed, so any clone location works. */
export const infraDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = dirname(infraDir);

/**
 * Git-ignored bookkeeping (pid files, logs, data) of natively started services.
 * SERVICES_STATE_DIR moves it, so a test can run a second instance without touching the first.
 */
export function stateRootFrom(env: NodeJS.ProcessEnv): string {
  return env.SERVICES_STATE_DIR ? resolve(env.SERVICES_STATE_DIR) : join(repoRoot, '.services');
}

/** Downloaded binaries live outside git and outlive clones: one download per machine. */
export function cacheRootFrom(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(xdg, 'resilience-pocs');
}

export const composeFile = (name: string): string => join(infraDir, 'compose', `${name}.yml`);
