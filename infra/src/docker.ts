import { existsSync } from 'node:fs';
import { runCommand, which } from './command.ts';
import { composeFile } from './paths.ts';

export type Runtime = 'native' | 'docker';

let engineAnswers: Promise<boolean> | undefined;

/** `docker info` exits 0 only when a daemon answers; a bare client (like on CI VMs) fails. */
export function dockerEngineAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  engineAnswers ??= which('docker', env)
    ? runCommand('docker', ['info'], { env, timeoutMs: 10_000 }).then((r) => r.code === 0)
    : Promise.resolve(false);
  return engineAnswers;
}

/** SERVICES_RUNTIME=native|docker forces a side; the default picks docker when it answers. */
export async function chooseRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const forced = env.SERVICES_RUNTIME;
  if (forced === 'native' || forced === 'docker') return forced;
  if (forced && forced !== 'auto') {
    throw new Error(`SERVICES_RUNTIME must be auto, native or docker, got '${forced}'`);
  }
  return (await dockerEngineAnswers(env)) ? 'docker' : 'native';
}

async function compose(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<string> {
  const file = composeFile(name);
  if (!existsSync(file)) throw new Error(`no compose file at ${file}`);
  const { code, output } = await runCommand('docker', ['compose', '-f', file, ...args], {
    env,
    onLine,
  });
  if (code !== 0)
    throw new Error(`docker compose ${args.join(' ')} failed (${code}): ${output.trim()}`);
  return output;
}

export const composeUp = (name: string, env: NodeJS.ProcessEnv, onLine?: (l: string) => void) =>
  compose(name, ['up', '-d'], env, onLine);

export const composeDown = (name: string, env: NodeJS.ProcessEnv) => compose(name, ['down'], env);

export const composeLogs = (name: string, lines: number, env: NodeJS.ProcessEnv) =>
  compose(name, ['logs', '--no-color', '--tail', String(lines)], env);

/** One service of a multi-node compose file: `stop`, `start` or `kill -s SIGKILL`. */
export const composeNodeCommand = (
  name: string,
  args: string[],
  node: string,
  env: NodeJS.ProcessEnv,
) => compose(name, [...args, node], env);
