import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ServiceDefinition, ServiceName } from './definition.ts';
import {
  chooseRuntime,
  composeDown,
  composeLogs,
  composeNodeCommand,
  composeUp,
} from './docker.ts';
import { NotInstalledError, ServiceStartError, UsageError } from './errors.ts';
import { withFileLock } from './lock.ts';
import { composeFile, repoRoot } from './paths.ts';
import { livePid, stopByPidFile, tailFile } from './process.ts';
import { describeError, isPortOpen, waitFor } from './wait.ts';

export type UpOutcome =
  /** We started it natively just now. */
  | 'started'
  /** We had started it earlier and it is still healthy. */
  | 'running'
  /** Something we did not start already answers at the URL. */
  | 'reused'
  /** Runs in Docker Compose (started now or earlier). */
  | 'docker';

export interface UpResult {
  name: ServiceName;
  outcome: UpOutcome;
  url: string;
  pid?: number;
  logFile?: string;
  elapsedMs: number;
}

export interface DownResult {
  name: ServiceName;
  outcome: 'stopped' | 'killed' | 'docker-down' | 'left-alone' | 'not-running';
  pids: number[];
}

export interface StatusResult {
  name: ServiceName;
  state: 'up' | 'down' | 'unhealthy';
  mode: 'native' | 'docker' | 'reused' | '-';
  pid?: number;
  url: string;
  error?: string;
}

export interface LifecycleContext {
  env: NodeJS.ProcessEnv;
  /** `<state root>/<service>`. */
  stateDir: string;
  log: (line: string) => void;
}

/** Paths under the repo are printed relative to it: shorter, and the same on every clone. */
export const displayPath = (path: string): string => {
  const rel = relative(repoRoot, path);
  return rel.startsWith('..') ? path : rel;
};

// A marker file records that `up` used Docker Compose, so `down` and `status` know.
const dockerMarker = (ctx: LifecycleContext) => join(ctx.stateDir, 'compose');
const mainProcess = (def: ServiceDefinition) => def.processes[def.processes.length - 1]!;
// Serialises up and down of one service across processes.
const lockFile = (ctx: LifecycleContext) => join(ctx.stateDir, 'lock');

async function healthError(def: ServiceDefinition): Promise<Error | undefined> {
  try {
    await def.health();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function waitHealthy(
  def: ServiceDefinition,
  ctx: LifecycleContext,
  abortReason?: () => string | undefined,
) {
  return waitFor(() => def.health(), {
    timeoutMs: def.startTimeoutMs,
    abortReason,
    onProgress: (elapsedMs, lastError) =>
      ctx.log(
        `${def.name}: waiting for the health check (${Math.round(elapsedMs / 1000)} s, last: ${describeError(lastError)})`,
      ),
  });
}

async function stopProcesses(def: ServiceDefinition) {
  const stopped: Array<{ outcome: string; pid?: number }> = [];
  for (const proc of [...def.processes].reverse()) {
    const { stopSignal: signal, stopGraceMs: graceMs } = proc;
    stopped.push(await stopByPidFile(proc.pidFile, { signal, graceMs }));
  }
  return stopped;
}

/**
 * Reuse what answers, else Docker Compose when an engine answers, else start natively and
 * wait for the real health check.
 */
export function upService(def: ServiceDefinition, ctx: LifecycleContext): Promise<UpResult> {
  const startedMs = Date.now();
  return withFileLock(
    lockFile(ctx),
    {
      timeoutMs: def.startTimeoutMs + 60_000,
      onWait: (pid) => ctx.log(`${def.name}: waiting for pid ${pid}, which is starting it`),
    },
    () => upLocked(def, ctx, startedMs),
  );
}

async function upLocked(
  def: ServiceDefinition,
  ctx: LifecycleContext,
  startedMs: number,
): Promise<UpResult> {
  const { name, url } = def;
  const main = mainProcess(def);
  const result = (outcome: UpOutcome, pid?: number): UpResult => ({
    name,
    outcome,
    url,
    pid,
    logFile: pid === undefined ? undefined : main.logFile,
    elapsedMs: Date.now() - startedMs,
  });

  const ourPid = livePid(main.pidFile);
  const firstError = await healthError(def);
  if (!firstError) {
    if (ourPid !== undefined) return result('running', ourPid);
    return result(existsSync(dockerMarker(ctx)) ? 'docker' : 'reused');
  }

  if (ourPid !== undefined) {
    // Ours but not healthy (yet): give it the usual start deadline.
    ctx.log(`${name}: pid ${ourPid} runs but is not healthy yet; waiting`);
    try {
      await waitHealthy(def, ctx);
    } catch (err) {
      throw new ServiceStartError(
        `${name} (pid ${ourPid}) runs but fails its health check: ${describeError(err)}; see ${displayPath(main.logFile)} or run 'pnpm services down ${name}'`,
        { cause: err },
      );
    }
    return result('running', ourPid);
  }

  if ((await chooseRuntime(ctx.env)) === 'docker') {
    ctx.log(`${name}: docker compose -f ${displayPath(composeFile(name))} up -d`);
    await composeUp(name, ctx.env, (line) => ctx.log(`${name}: ${line}`));
    mkdirSync(ctx.stateDir, { recursive: true });
    writeFileSync(dockerMarker(ctx), `${composeFile(name)}\n`);
    await waitHealthy(def, ctx);
    return result('docker');
  }

  if (!def.installed()) throw new NotInstalledError(name);
  if (await isPortOpen(def.host, def.port)) {
    throw new ServiceStartError(
      `${name}: ${def.host}:${def.port} is taken by a process that fails the ${name} health check (${describeError(firstError)}); stop it or point ${def.urlEnv} elsewhere`,
    );
  }
  // Leftovers of a crashed run (e.g. our epmd without its broker) would get in the way.
  await stopProcesses(def);
  ctx.log(`${name}: starting natively (log ${displayPath(main.logFile)})`);
  const child = await def.start();
  try {
    await waitHealthy(def, ctx, () => {
      const reason = child.exitReason();
      if (!reason) return undefined;
      return `${name} ${reason} during start; last log lines:\n${tailFile(main.logFile, 15)}`;
    });
  } catch (err) {
    await stopProcesses(def).catch(() => {});
    // waitFor's message already says why (exit and log tail, or deadline and last error).
    const reason = err instanceof Error ? err.message : String(err);
    throw new ServiceStartError(`${name} did not start: ${reason}`, { cause: err });
  }
  return result('started', child.pid);
}

/** Stop what `up` started (pid files or Compose marker); leave anything else alone. */
export function downService(def: ServiceDefinition, ctx: LifecycleContext): Promise<DownResult> {
  return withFileLock(lockFile(ctx), { timeoutMs: def.startTimeoutMs + 60_000 }, async () => {
    const { name } = def;
    if (existsSync(dockerMarker(ctx))) {
      await composeDown(name, ctx.env);
      rmSync(dockerMarker(ctx), { force: true });
      return { name, outcome: 'docker-down', pids: [] };
    }
    const stopped = await stopProcesses(def);
    const pids = stopped.flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
    if (pids.length > 0) {
      const killed = stopped.some((s) => s.outcome === 'killed');
      return { name, outcome: killed ? 'killed' : 'stopped', pids };
    }
    const healthy = !(await healthError(def));
    return { name, outcome: healthy ? 'left-alone' : 'not-running', pids };
  });
}

export interface NodeResult {
  name: ServiceName;
  nodeId: number;
  outcome: 'started' | 'running' | 'stopped' | 'killed' | 'not-running' | 'docker';
  pid?: number;
  elapsedMs: number;
}

/** The node's process entry; throws a usage-level error for services without nodes. */
function nodeProcess(def: ServiceDefinition, nodeId: number) {
  const count = def.nodeCount ?? 0;
  if (count === 0) throw new UsageError(`${def.name} has no nodes; --node is for kafka-cluster`);
  if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > count) {
    throw new UsageError(`${def.name} has nodes 1–${count}, not ${nodeId}`);
  }
  return def.processes[nodeId - 1]!;
}

/** Compose names a cluster's nodes `<service prefix>-<n>`, e.g. kafka-2. */
const composeNode = (def: ServiceDefinition, nodeId: number) => nodeProcess(def, nodeId).label;

/**
 * Stop one node of a running cluster, by its own pid file: SIGTERM (clean shutdown, leadership
 * moves first) or SIGKILL (a crash). The other nodes keep running.
 */
export function downNode(
  def: ServiceDefinition,
  ctx: LifecycleContext,
  nodeId: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<NodeResult> {
  const proc = nodeProcess(def, nodeId);
  const startedMs = Date.now();
  return withFileLock(lockFile(ctx), { timeoutMs: def.startTimeoutMs + 60_000 }, async () => {
    const base = { name: def.name, nodeId };
    if (existsSync(dockerMarker(ctx))) {
      await composeNodeCommand(
        def.name,
        signal === 'SIGKILL' ? ['kill', '-s', 'SIGKILL'] : ['stop'],
        composeNode(def, nodeId),
        ctx.env,
      );
      return { ...base, outcome: 'docker', elapsedMs: Date.now() - startedMs };
    }
    const stopped = await stopByPidFile(proc.pidFile, {
      signal,
      graceMs: signal === 'SIGKILL' ? 5_000 : proc.stopGraceMs,
    });
    const outcome =
      stopped.outcome === 'not-running'
        ? 'not-running'
        : signal === 'SIGKILL'
          ? 'killed'
          : stopped.outcome;
    return { ...base, outcome, pid: stopped.pid, elapsedMs: Date.now() - startedMs };
  });
}

/** Start one stopped node again and wait until it answers and sees every other node. */
export function upNode(
  def: ServiceDefinition,
  ctx: LifecycleContext,
  nodeId: number,
): Promise<NodeResult> {
  const proc = nodeProcess(def, nodeId);
  const startedMs = Date.now();
  return withFileLock(lockFile(ctx), { timeoutMs: def.startTimeoutMs + 60_000 }, async () => {
    const base = { name: def.name, nodeId };
    const health = () => (def.nodeHealth ? def.nodeHealth(nodeId) : def.health());
    const wait = (abortReason?: () => string | undefined) =>
      waitFor(health, {
        timeoutMs: def.startTimeoutMs,
        abortReason,
        onProgress: (elapsedMs, lastError) =>
          ctx.log(
            `${proc.label}: waiting for the health check (${Math.round(elapsedMs / 1000)} s, last: ${describeError(lastError)})`,
          ),
      });
    if (existsSync(dockerMarker(ctx))) {
      await composeNodeCommand(def.name, ['start'], composeNode(def, nodeId), ctx.env);
      await wait();
      return { ...base, outcome: 'docker', elapsedMs: Date.now() - startedMs };
    }
    const running = livePid(proc.pidFile);
    if (running !== undefined) {
      await wait();
      return { ...base, outcome: 'running', pid: running, elapsedMs: Date.now() - startedMs };
    }
    if (!def.startNode) throw new UsageError(`${def.name} cannot start single nodes`);
    if (def.processes.every((p) => livePid(p.pidFile) === undefined)) {
      throw new ServiceStartError(
        `${def.name} is not running; start it with 'pnpm services up ${def.name}'`,
      );
    }
    ctx.log(`${proc.label}: starting natively (log ${displayPath(proc.logFile)})`);
    const child = await def.startNode(nodeId);
    await wait(() => {
      const reason = child.exitReason();
      return reason
        ? `${proc.label} ${reason}; last log lines:\n${tailFile(proc.logFile, 15)}`
        : undefined;
    });
    return { ...base, outcome: 'started', pid: child.pid, elapsedMs: Date.now() - startedMs };
  });
}

export async function serviceStatus(
  def: ServiceDefinition,
  ctx: LifecycleContext,
): Promise<StatusResult> {
  const pid = livePid(mainProcess(def).pidFile);
  const error = await healthError(def);
  const docker = existsSync(dockerMarker(ctx));
  const mode = pid !== undefined ? 'native' : docker ? 'docker' : error ? '-' : 'reused';
  const state = !error ? 'up' : pid !== undefined || docker ? 'unhealthy' : 'down';
  const result: StatusResult = { name: def.name, state, mode, url: def.url };
  if (pid !== undefined) result.pid = pid;
  if (error) result.error = describeError(error);
  return result;
}

export async function serviceLogs(
  def: ServiceDefinition,
  ctx: LifecycleContext,
  lines: number,
): Promise<string> {
  if (existsSync(dockerMarker(ctx))) return composeLogs(def.name, lines, ctx.env);
  const parts = def.processes
    .filter((p) => existsSync(p.logFile))
    .map((p) => `==> ${displayPath(p.logFile)} <==\n${tailFile(p.logFile, lines)}`);
  return parts.join('\n\n') || `(no log: ${def.name} was not started by 'pnpm services up')`;
}
