import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from './wait.ts';

// Processes we start and stop: detached spawn, pid files, process families read from /proc.

interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks since boot at which the process started: with the pid, its identity. */
  startTicks: number;
  startMs: number;
}

let bootMs: number | undefined;

/** Linux only; undefined elsewhere or when the process is gone. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses, so split after the last ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    bootMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    // Field 22 (starttime) is in clock ticks; Linux exposes USER_HZ = 100 to user space.
    return {
      state: fields[0] ?? '?',
      pgrp: Number(fields[2]),
      startTicks: Number(fields[19]),
      startMs: bootMs + Number(fields[19]) * 10,
    };
  } catch {
    return undefined;
  }
}

const hasProc = existsSync('/proc/self/stat');

/** Alive and not a zombie (a zombie has exited; it only waits for its parent to reap it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!hasProc) return true;
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

interface ProcEntry {
  ppid: number;
  pgrp: number;
}

/** Every live (non-zombie) process with its parent and process group. */
function processTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      table.set(Number(entry), { ppid: Number(fields[1]), pgrp: Number(fields[2]) });
    } catch {
      // Exited while we looked.
    }
  }
  return table;
}

/**
 * The live processes that belong to a service we started: its process group plus every
 * descendant of `roots`. Both are needed: postgres backends and Erlang's erl_child_setup call
 * setsid() and leave the group, while a killed leader's children are re-parented to init.
 */
export function processFamily(pgid: number, roots: Iterable<number> = [pgid]): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const table = processTable();
  const children = new Map<number, number[]>();
  const family = new Set<number>();
  for (const [pid, { ppid, pgrp }] of table) {
    if (pgrp === pgid) family.add(pid);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const queue = [...roots, ...family].filter((pid) => table.has(pid));
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    family.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...family];
}

/**
 * The pid in `pidFile` if that same process still runs. The file holds the pid and the
 * process's start time in clock ticks since boot (`/proc/<pid>/stat` field 22): a process
 * with that pid but another start time is someone else who got a recycled pid (e.g. after
 * a reboot). Comparing ticks with ticks stays right when the wall clock jumps (a machine
 * restored from a snapshot moves btime, so converting ticks to wall time and comparing it
 * with the file's mtime called a live broker stale). A file with a pid alone (written by an
 * older checkout) falls back to that mtime comparison.
 */
export function livePid(pidFile: string): number | undefined {
  let pid: number;
  let recordedTicks: number | undefined;
  let writtenMs: number;
  try {
    const [first, second] = readFileSync(pidFile, 'utf8').trim().split(/\s+/);
    pid = Number.parseInt(first ?? '', 10);
    recordedTicks = second === undefined ? undefined : Number.parseInt(second, 10);
    writtenMs = statSync(pidFile).mtimeMs;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !isRunning(pid)) return undefined;
  const stat = procStat(pid);
  if (stat === undefined) return pid;
  if (recordedTicks !== undefined && Number.isInteger(recordedTicks)) {
    return stat.startTicks === recordedTicks ? pid : undefined;
  }
  // 2 s of slack: btime has 1 s resolution.
  return stat.startMs > writtenMs + 2_000 ? undefined : pid;
}

/** What a pid file holds: the pid, and its start ticks where /proc has them. */
export function pidFileContent(pid: number): string {
  const ticks = procStat(pid)?.startTicks;
  return ticks === undefined ? `${pid}\n` : `${pid} ${ticks}\n`;
}

export interface SpawnDetachedOptions {
  command: string;
  args: string[];
  pidFile: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

export interface DetachedProcess {
  pid: number;
  /** Set once the child exits, e.g. 'exited with code 1'. */
  exitReason(): string | undefined;
}

/**
 * Start a long-running server in its own session and process group (so `down` can kill the
 * whole tree), with stdout and stderr appended to `logFile`. We open the log ourselves and
 * hand over the descriptor, so a child that drops privileges can still write it.
 */
export function spawnDetached(options: SpawnDetachedOptions): DetachedProcess {
  mkdirSync(dirname(options.pidFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  writeFileSync(logFd, `\n--- ${new Date().toISOString()} starting ${options.command}\n`);
  let reason: string | undefined;
  try {
    const child = spawn(options.command, options.args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
    });
    child.on('error', (err) => {
      reason = `failed to start: ${err.message}`;
    });
    child.on('exit', (code, signal) => {
      reason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not spawn ${options.command}`);
    writeFileSync(options.pidFile, pidFileContent(child.pid));
    return { pid: child.pid, exitReason: () => reason };
  } finally {
    closeSync(logFd);
  }
}

export type StopOutcome = 'stopped' | 'killed' | 'not-running';

/**
 * Ask the leader to stop with `signal`, wait `graceMs` for it and everything it spawned to
 * exit, then SIGKILL the group and any descendant left. Removes the pid file either way.
 */
export async function stopByPidFile(
  pidFile: string,
  { signal, graceMs }: { signal: NodeJS.Signals; graceMs: number },
): Promise<{ outcome: StopOutcome; pid?: number }> {
  const pid = livePid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return { outcome: 'not-running' };
  }
  // spawnDetached made the leader a session and group leader, so its pid is the group id.
  const tracked = new Set(processFamily(pid));
  const alive = () => {
    for (const member of processFamily(pid, tracked)) tracked.add(member);
    return [...tracked].filter(isRunning);
  };
  try {
    process.kill(pid, signal);
  } catch {
    // Already exiting; the family check below decides.
  }
  let outcome: StopOutcome = 'stopped';
  if (!(await pollUntil(() => alive().length === 0, graceMs))) {
    outcome = 'killed';
    for (const member of [pid, ...alive()]) {
      try {
        process.kill(member === pid ? -pid : member, 'SIGKILL');
      } catch {
        // Raced with a normal exit.
      }
    }
    if (!(await pollUntil(() => alive().length === 0, 5_000))) {
      throw new Error(`processes of ${pid} survived SIGKILL: ${alive().join(', ')}`);
    }
  }
  rmSync(pidFile, { force: true });
  return { outcome, pid };
}

async function pollUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Last `lines` lines of a text file ('' if it does not exist); reads at most the last 1 MiB. */
export function tailFile(file: string, lines: number): string {
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, 1024 * 1024);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
  return text.replace(/\n$/, '').split('\n').slice(-lines).join('\n');
}
