import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@pocs/shared/log';
import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';
import { type Config, configToEnv } from './config.ts';
import { isWorkerEvent, type WorkerEvent } from './worker-protocol.ts';

const srcDir = dirname(fileURLToPath(import.meta.url));
const workerEntry = join(srcDir, 'consumer-worker.ts');

// Children die with the process that started them, even when it crashes.
const everyChild = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of everyChild) child.kill('SIGKILL');
});

export type StopSignal = 'SIGTERM' | 'SIGKILL';

export interface ConsumerInfo {
  id: number;
  pid: number;
  state: 'starting' | 'running' | 'stopping' | 'exited';
  memberId: string | null;
  /** This member's partitions as of its last GROUP_JOIN (its own view). */
  partitions: number[];
  joins: number;
  rebalances: number;
  processed: { unique: number; redelivered: number };
  /** Messages processed since this member's last successful commit. */
  uncommitted: number;
  exit: { code: number | null; signal: string | null } | null;
}

interface Worker {
  info: ConsumerInfo;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * Starts and stops consumer processes and turns their IPC events into metrics.
 * Emits ('event', consumerId, WorkerEvent) for every event a member reports, and
 * ('exit', consumerId, info) when a process ends.
 */
export class Supervisor extends EventEmitter {
  readonly #workers = new Map<number, Worker>();
  readonly #config: Readonly<Config>;
  readonly #logger: Logger;
  #nextId = 1;
  readonly #metrics;

  constructor(config: Readonly<Config>, deps: { logger: Logger; registry: Registry }) {
    super();
    this.#config = config;
    this.#logger = deps.logger;
    const registers = [deps.registry];
    this.#metrics = {
      joins: new Counter({
        name: 'consumer_group_joins_total',
        help: 'GROUP_JOIN events: one per member per group generation (each rebalance adds one per member)',
        registers,
      }),
      rebalances: new Counter({
        name: 'consumer_rebalance_notices_total',
        help: 'REBALANCING events: a member learned from a heartbeat or commit that the group is rebalancing',
        registers,
      }),
      assigned: new Counter({
        name: 'consumer_partition_assignments_total',
        help: 'Partitions handed to members, summed over every join',
        registers,
      }),
      crashes: new Counter({
        name: 'consumer_crashes_total',
        help: 'CRASH events reported by consumer processes',
        registers,
      }),
      exits: new Counter({
        name: 'consumer_exits_total',
        help: 'Consumer processes that ended, by the signal that ended them (none = exited by itself)',
        labelNames: ['signal'],
        registers,
      }),
      processed: new Counter({
        name: 'consumer_messages_processed_total',
        help: 'Messages consumers finished, by sink outcome: unique (applied) or redelivered (already applied, dropped)',
        labelNames: ['outcome'],
        registers,
      }),
      live: new Gauge({
        name: 'consumer_processes',
        help: 'Consumer processes alive now',
        registers,
        collect: () => {
          // A gauge computed on scrape, so it can't drift from the process table.
          this.#metrics.live.set(this.live().length);
        },
      }),
    };
    this.setMaxListeners(50);
  }

  live(): ConsumerInfo[] {
    return this.list().filter((c) => c.state !== 'exited');
  }

  list(): ConsumerInfo[] {
    return [...this.#workers.values()].map((w) => structuredClone(w.info));
  }

  get(id: number): ConsumerInfo | undefined {
    const w = this.#workers.get(id);
    return w ? structuredClone(w.info) : undefined;
  }

  /** Spawn `count` consumer processes; they join the group on their own. */
  start(count: number): ConsumerInfo[] {
    return Array.from({ length: count }, () => this.#spawn());
  }

  #spawn(): ConsumerInfo {
    const id = this.#nextId++;
    const child = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
      cwd: join(srcDir, '..'),
      env: { ...process.env, ...configToEnv(this.#config), WORKER_ID: String(id) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    everyChild.add(child);
    const info: ConsumerInfo = {
      id,
      pid: child.pid ?? -1,
      state: 'starting',
      memberId: null,
      partitions: [],
      joins: 0,
      rebalances: 0,
      processed: { unique: 0, redelivered: 0 },
      uncommitted: 0,
      exit: null,
    };
    child.on('message', (m) => {
      if (isWorkerEvent(m)) this.#onEvent(info, m);
    });
    const exited = once(child, 'exit').then(([code, signal]) => {
      everyChild.delete(child);
      info.state = 'exited';
      info.partitions = [];
      info.exit = { code, signal };
      this.#metrics.exits.inc({ signal: signal ?? 'none' });
      this.#logger.info({ consumer: id, code, signal }, 'consumer process exited');
      this.emit('exit', id, structuredClone(info));
    });
    this.#workers.set(id, { info, child, exited });
    this.#logger.info({ consumer: id, pid: child.pid }, 'consumer process started');
    return structuredClone(info);
  }

  #onEvent(info: ConsumerInfo, event: WorkerEvent): void {
    switch (event.type) {
      case 'running':
        if (info.state === 'starting') info.state = 'running';
        break;
      case 'joined':
        info.joins++;
        info.memberId = event.memberId;
        info.partitions = event.partitions;
        this.#metrics.joins.inc();
        this.#metrics.assigned.inc(event.partitions.length);
        break;
      case 'rebalancing':
        info.rebalances++;
        this.#metrics.rebalances.inc();
        break;
      case 'processed':
        info.processed[event.outcome]++;
        info.uncommitted = event.uncommitted;
        this.#metrics.processed.inc({ outcome: event.outcome });
        break;
      case 'committed':
        info.uncommitted = 0;
        break;
      case 'crash':
        this.#metrics.crashes.inc();
        this.#logger.warn({ consumer: info.id, error: event.error }, 'consumer crashed');
        break;
    }
    this.emit('event', info.id, event);
  }

  /**
   * SIGTERM: the member commits and leaves the group (rebalance starts at once);
   * SIGKILL: it vanishes, and the broker notices only after session.timeout.
   */
  async stop(id: number, signal: StopSignal, deadlineMs = 15_000): Promise<ConsumerInfo> {
    const w = this.#workers.get(id);
    if (!w) throw new Error(`no consumer ${id}`);
    if (w.info.state !== 'exited') {
      w.info.state = 'stopping';
      w.child.kill(signal);
      const force = setTimeout(() => w.child.kill('SIGKILL'), deadlineMs);
      await w.exited;
      clearTimeout(force);
    }
    return structuredClone(w.info);
  }

  async stopAll(signal: StopSignal = 'SIGTERM'): Promise<void> {
    await Promise.all(this.live().map((c) => this.stop(c.id, signal)));
  }

  totals() {
    const all = [...this.#workers.values()].map((w) => w.info);
    const sum = (f: (c: ConsumerInfo) => number) => all.reduce((s, c) => s + f(c), 0);
    return {
      live: all.filter((c) => c.state !== 'exited').length,
      started: all.length,
      joins: sum((c) => c.joins),
      rebalances: sum((c) => c.rebalances),
      processed: sum((c) => c.processed.unique + c.processed.redelivered),
      redelivered: sum((c) => c.processed.redelivered),
    };
  }
}
