import type { DetachedProcess } from './process.ts';

export const SERVICE_NAMES = [
  'postgres',
  'redis',
  'kafka',
  'kafka-cluster',
  'rabbitmq',
  'toxiproxy',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * What `up` with no names starts. kafka-cluster is opt-in: its first broker takes kafka's
 * port 9092, so with the cluster up, `kafka` is reused (its health check passes there).
 */
export const DEFAULT_SERVICE_NAMES: readonly ServiceName[] = SERVICE_NAMES.filter(
  (name) => name !== 'kafka-cluster',
);

export const isServiceName = (value: string): value is ServiceName =>
  (SERVICE_NAMES as readonly string[]).includes(value);

/** What a service module gets from the registry. */
export interface ServiceContext {
  env: NodeJS.ProcessEnv;
  /** `<state root>/<service>`: pid files, logs, config, data we own. */
  stateDir: string;
  /** Downloaded binaries, shared by every clone on this machine. */
  cacheRoot: string;
  /** One progress line, without the service prefix. */
  log: (line: string) => void;
}

/** One process `start` spawns; `down` stops them in reverse order. */
export interface ManagedProcess {
  label: string;
  pidFile: string;
  logFile: string;
  stopSignal: NodeJS.Signals;
  stopGraceMs: number;
}

/** Work `install` has to do for a service; empty when everything is present. */
export interface InstallPlan {
  /** Debian packages, installed in one apt-get call for all services. */
  aptPackages: string[];
  /** Steps that run after apt (they may need what apt installed). */
  steps: Array<{ label: string; run: () => Promise<void> }>;
}

export interface ServiceDefinition {
  name: ServiceName;
  description: string;
  /** The env var that overrides `url`. */
  urlEnv: string;
  /** What clients connect to (may carry credentials; print it through `redactUrl`). */
  url: string;
  host: string;
  port: number;
  startTimeoutMs: number;
  health(): Promise<void>;
  /** True when every binary `start` needs is present. */
  installed(): boolean;
  installPlan(): InstallPlan;
  /** In start order; the last one is the service itself. */
  processes: ManagedProcess[];
  /** Spawn the processes detached; the caller waits for health. Returns the main process. */
  start(): Promise<DetachedProcess>;
  /** Services made of numbered nodes (1-based, `processes[n - 1]`) can stop and start one. */
  nodeCount?: number;
  startNode?(nodeId: number): Promise<DetachedProcess>;
  /** That node answers on its own address and sees the whole cluster. */
  nodeHealth?(nodeId: number): Promise<void>;
}

/** Hide a password in a URL before printing it. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
