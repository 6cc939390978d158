import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// Short-lived commands (apt-get, mvn, go, initdb) run to completion, unlike the servers.

/** First executable called `command` on PATH, like `command -v`. */
export function which(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Each output line (stdout and stderr), e.g. to print it with a prefix. */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  uid?: number;
  gid?: number;
}

/** Run a command to completion; resolves with its exit code and combined output. */
export function runCommand(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let output = '';
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (!options.onLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
    child.on('close', (code, signal) => {
      if (partial && options.onLine) options.onLine(partial);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** Await `work`, calling `tick(elapsedSeconds)` every `everyMs` until it settles. */
export async function withProgress<T>(
  work: Promise<T>,
  tick: (elapsedS: number) => void,
  everyMs = 15_000,
): Promise<T> {
  const startedMs = Date.now();
  const timer = setInterval(() => tick(Math.round((Date.now() - startedMs) / 1000)), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
