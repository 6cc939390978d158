import { join } from 'node:path';
import {
  DEFAULT_SERVICE_NAMES,
  isServiceName,
  redactUrl,
  SERVICE_NAMES,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceName,
} from './definition.ts';
import { ServiceStartError, UsageError } from './errors.ts';
import { createKafkaClusterService, createKafkaService } from './kafka.ts';
import {
  type DownResult,
  downNode,
  downService,
  type LifecycleContext,
  type NodeResult,
  type StatusResult,
  serviceLogs,
  serviceStatus,
  type UpResult,
  upNode,
  upService,
} from './lifecycle.ts';
import { cacheRootFrom, stateRootFrom } from './paths.ts';
import { createPostgresService } from './postgres.ts';
import { createRabbitmqService } from './rabbitmq.ts';
import { createRedisService } from './redis.ts';
import { createToxiproxyService } from './toxiproxy.ts';

export {
  type DownResult,
  displayPath,
  type NodeResult,
  type StatusResult,
  type UpResult,
} from './lifecycle.ts';
export {
  DEFAULT_SERVICE_NAMES,
  isServiceName,
  redactUrl,
  SERVICE_NAMES,
  type ServiceDefinition,
  type ServiceName,
};

/** The registry: one factory per service, in the order `up` lists them. */
const FACTORIES: Record<ServiceName, (ctx: ServiceContext) => ServiceDefinition> = {
  postgres: createPostgresService,
  redis: createRedisService,
  kafka: createKafkaService,
  'kafka-cluster': createKafkaClusterService,
  rabbitmq: createRabbitmqService,
  toxiproxy: createToxiproxyService,
};

export interface ServicesOptions {
  /** Defaults to process.env: the *_URL variables and SERVICES_STATE_DIR are read from it. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines ("kafka: waiting…"). Silent by default. */
  log?: (line: string) => void;
}

export type Settled<T> =
  | { name: ServiceName; ok: true; value: T }
  | { name: ServiceName; ok: false; error: Error };

export interface Services {
  stateRoot: string;
  cacheRoot: string;
  get(name: ServiceName): ServiceDefinition;
  /** In parallel: Kafka and RabbitMQ each take seconds to boot. */
  up(names?: readonly string[]): Promise<Array<Settled<UpResult>>>;
  /** In reverse order, one at a time. */
  down(names?: readonly string[]): Promise<Array<Settled<DownResult>>>;
  status(names?: readonly string[]): Promise<StatusResult[]>;
  logs(
    names?: readonly string[],
    lines?: number,
  ): Promise<Array<{ name: ServiceName; text: string }>>;
  /** Stop one node of a multi-node service (kafka-cluster), SIGTERM unless told otherwise. */
  downNode(name: string, nodeId: number, signal?: NodeJS.Signals): Promise<NodeResult>;
  /** Start that node again and wait until it answers and sees the whole cluster. */
  upNode(name: string, nodeId: number): Promise<NodeResult>;
}

/** Validate names; none means the default set, in registry order. */
export function resolveNames(names: readonly string[] = []): ServiceName[] {
  const unknown = names.filter((n) => !isServiceName(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown service '${unknown.join("', '")}' (known: ${SERVICE_NAMES.join(', ')})`,
    );
  }
  return names.length === 0 ? [...DEFAULT_SERVICE_NAMES] : [...new Set(names as ServiceName[])];
}

async function settle<T>(name: ServiceName, run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { name, ok: true, value: await run() };
  } catch (err) {
    return { name, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

export function createServices(options: ServicesOptions = {}): Services {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const stateRoot = stateRootFrom(env);
  const cacheRoot = cacheRootFrom(env);
  const definitions = new Map<ServiceName, ServiceDefinition>();
  const lifecycle = (name: ServiceName): LifecycleContext => ({
    env,
    stateDir: join(stateRoot, name),
    log,
  });

  function get(name: ServiceName): ServiceDefinition {
    let def = definitions.get(name);
    if (!def) {
      def = FACTORIES[name]({
        env,
        stateDir: join(stateRoot, name),
        cacheRoot,
        log: (line) => log(`${name}: ${line}`),
      });
      definitions.set(name, def);
    }
    return def;
  }

  return {
    stateRoot,
    cacheRoot,
    get,
    up: async (names) => {
      const up = (n: ServiceName) => settle(n, () => upService(get(n), lifecycle(n)));
      const resolved = resolveNames(names);
      // The cluster first: started side by side, kafka would grab 9092 before the cluster's
      // first broker; after it, kafka finds 9092 healthy and reuses it.
      const first = resolved.includes('kafka-cluster') ? [await up('kafka-cluster')] : [];
      const rest = await Promise.all(resolved.filter((n) => n !== 'kafka-cluster').map(up));
      return resolved.map((n) => [...first, ...rest].find((r) => r.name === n)!);
    },
    down: async (names) => {
      const results: Array<Settled<DownResult>> = [];
      // No names: everything this checkout may have started, the opt-in cluster included.
      const resolved = names && names.length > 0 ? resolveNames(names) : [...SERVICE_NAMES];
      for (const n of resolved.reverse()) {
        results.unshift(await settle(n, () => downService(get(n), lifecycle(n))));
      }
      return results;
    },
    status: (names) =>
      Promise.all(resolveNames(names).map((n) => serviceStatus(get(n), lifecycle(n)))),
    downNode: (name, nodeId, signal) => {
      const [n] = resolveNames([name]) as [ServiceName];
      return downNode(get(n), lifecycle(n), nodeId, signal);
    },
    upNode: (name, nodeId) => {
      const [n] = resolveNames([name]) as [ServiceName];
      return upNode(get(n), lifecycle(n), nodeId);
    },
    logs: (names, lines = 50) =>
      Promise.all(
        resolveNames(names).map(async (n) => ({
          name: n,
          text: await serviceLogs(get(n), lifecycle(n), lines),
        })),
      ),
  };
}

/** Throw one error naming every service that failed. */
function unwrap<T>(results: Array<Settled<T>>): T[] {
  const errors = results.flatMap((r) => (r.ok ? [] : [r.error]));
  if (errors.length > 0) {
    throw new ServiceStartError(errors.map((e) => e.message).join('\n'), {
      cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
    });
  }
  return results.flatMap((r) => (r.ok ? [r.value] : []));
}

/** Make sure services answer (reuse, Docker, or native start). For other packages' test setup. */
export async function ensureUp(
  names?: readonly string[],
  options?: ServicesOptions,
): Promise<UpResult[]> {
  return unwrap(await createServices(options).up(names));
}

/** Stop what `ensureUp` or `pnpm services up` started; reused services are left alone. */
export async function stop(
  names?: readonly string[],
  options?: ServicesOptions,
): Promise<DownResult[]> {
  return unwrap(await createServices(options).down(names));
}

/** Crash or stop one node of a cluster this checkout started (by its pid file only). */
export const stopNode = (
  name: string,
  nodeId: number,
  signal?: NodeJS.Signals,
  options?: ServicesOptions,
): Promise<NodeResult> => createServices(options).downNode(name, nodeId, signal);

/** Start a stopped node again; resolves once it answers and sees every node. */
export const startNode = (
  name: string,
  nodeId: number,
  options?: ServicesOptions,
): Promise<NodeResult> => createServices(options).upNode(name, nodeId);
