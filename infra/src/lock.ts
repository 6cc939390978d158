import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isRunning } from './process.ts';
import { sleep } from './wait.ts';

/**
 * Run `fn` holding an exclusive lock file. Two `up`s of the same service at once (say, two
 * test projects' setups) would otherwise both spawn a server and overwrite each other's pid
 * file. A lock whose holder died is taken over.
 */
export async function withFileLock<T>(
  file: string,
  { timeoutMs, onWait }: { timeoutMs: number; onWait?: (holderPid: number) => void },
  fn: () => Promise<T>,
): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder !== undefined && !isRunning(holder)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`lock ${file} still held by pid ${holder} after ${timeoutMs} ms`);
    }
    if (!announced && holder !== undefined) {
      onWait?.(holder);
      announced = true;
    }
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // Released between our open and this read, or written but not yet filled.
    return undefined;
  }
}
