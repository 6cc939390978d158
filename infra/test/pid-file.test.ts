import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { livePid, spawnDetached, stopByPidFile } from '../src/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pid-file-'));
const pidFile = join(dir, 'sleeper.pid');
const sleeper = spawnDetached({
  command: 'sleep',
  args: ['60'],
  pidFile,
  logFile: join(dir, 'sleeper.log'),
});
afterAll(async () => {
  await stopByPidFile(pidFile, { signal: 'SIGTERM', graceMs: 2_000 });
  rmSync(dir, { recursive: true, force: true });
});

describe('pid files: the pid and its start ticks identify the process', () => {
  it('holds the pid and the start time in ticks; livePid finds the running process', () => {
    const [pid, ticks] = readFileSync(pidFile, 'utf8').trim().split(' ');
    expect(Number(pid)).toBe(sleeper.pid);
    expect(Number(ticks)).toBeGreaterThan(0);
    expect(livePid(pidFile)).toBe(sleeper.pid);
  });

  it('still finds it when the file looks an hour older than the process (wall clock moved)', () => {
    // A machine restored from a snapshot moves btime: ticks converted to wall time then
    // land long after the file's mtime, and the old check called the live broker stale.
    const hourAgo = Date.now() / 1000 - 3_600;
    utimesSync(pidFile, hourAgo, hourAgo);
    expect(livePid(pidFile)).toBe(sleeper.pid);
  });

  it('refuses the same pid with other start ticks: a recycled pid is someone else', () => {
    const other = join(dir, 'recycled.pid');
    const ticks = Number(readFileSync(pidFile, 'utf8').trim().split(' ')[1]);
    writeFileSync(other, `${sleeper.pid} ${ticks + 1}\n`);
    expect(livePid(other)).toBeUndefined();
  });

  it('reads a pid-only file from an older checkout by its mtime, as before', () => {
    const legacy = join(dir, 'legacy.pid');
    writeFileSync(legacy, `${sleeper.pid}\n`);
    expect(livePid(legacy)).toBe(sleeper.pid);
    const hourAgo = Date.now() / 1000 - 3_600;
    utimesSync(legacy, hourAgo, hourAgo);
    expect(livePid(legacy)).toBeUndefined();
  });
});
