import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { createPool } from '@pocs/shared/pool';
import { parsePrometheusText, sumOf } from '@pocs/shared/prom-text';
import { createToxiproxy, type ProxyHandle, viaProxy } from '@pocs/shared/toxiproxy';

const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Ports of one running chain; tests, bench and break each have their own set. */
export interface ChainPorts {
  gateway: number;
  orders: number;
  inventory: number;
  /** toxiproxy: orders → here → inventory. */
  inventoryProxy: number;
  /** toxiproxy: inventory → here → Postgres. */
  postgresProxy: number;
}

export const testPorts: ChainPorts = {
  gateway: 3176,
  orders: 3186,
  inventory: 3196,
  inventoryProxy: 27601,
  postgresProxy: 27602,
};
export const benchPorts: ChainPorts = {
  gateway: 3476,
  orders: 3486,
  inventory: 3496,
  inventoryProxy: 27603,
  postgresProxy: 27604,
};
export const breakPorts: ChainPorts = {
  gateway: 3576,
  orders: 3586,
  inventory: 3596,
  inventoryProxy: 27605,
  postgresProxy: 27606,
};

export type Service = 'gateway' | 'orders' | 'inventory';

export interface Chain {
  gatewayUrl: string;
  /** Inventory as orders reaches it: through the proxy. */
  inventoryViaProxyUrl: string;
  /** Faults between orders and inventory (latency, blackhole). */
  inventoryProxy: ProxyHandle;
  /** Faults between inventory and Postgres (disable it = database down). */
  postgresProxy: ProxyHandle;
  /** Sum of a metric on one service's /metrics. */
  metric: (service: Service, name: string, labels?: Record<string, string>) => Promise<number>;
  inFlight: () => Promise<Record<Service, number>>;
  stop: () => Promise<void>;
}

/**
 * Start gateway → orders → (toxiproxy) → inventory → (toxiproxy) → Postgres, each
 * service its own process, in the broken or the fixed mode. `env` overrides config keys.
 * stop() kills the services (stuck requests die with them), deletes the proxies and
 * drops the run's schema.
 */
export async function startChain({
  ports,
  broken,
  postgresUrl,
  schema,
  env = {},
  toxiproxyUrl,
}: {
  ports: ChainPorts;
  broken: boolean;
  postgresUrl: string;
  schema: string;
  env?: Record<string, string>;
  toxiproxyUrl?: string;
}): Promise<Chain> {
  const toxiproxy = createToxiproxy(toxiproxyUrl);
  const inventoryProxy = await toxiproxy.createProxy({
    name: `poc76-inventory-${ports.inventoryProxy}`,
    listen: `127.0.0.1:${ports.inventoryProxy}`,
    upstream: `127.0.0.1:${ports.inventory}`,
  });
  const postgresProxy = await toxiproxy.createProxy({
    name: `poc76-postgres-${ports.postgresProxy}`,
    listen: `127.0.0.1:${ports.postgresProxy}`,
    upstream: new URL(postgresUrl).host,
  });
  const common = {
    BREAK_NO_TIMEOUTS: broken ? '1' : '0',
    DB_SCHEMA: schema,
    LOG_LEVEL: 'error',
    PORT: String(ports.gateway),
    ORDERS_PORT: String(ports.orders),
    INVENTORY_PORT: String(ports.inventory),
    ORDERS_URL: `http://127.0.0.1:${ports.orders}`,
    INVENTORY_URL: `http://${inventoryProxy.listen}`,
    POSTGRES_URL: viaProxy(postgresUrl, postgresProxy.listen),
    ...env,
  };
  const start = (service: Service, port: number) =>
    startChildService({
      entry: 'src/server.ts',
      cwd: pocDir,
      port,
      env: { ...common, SERVICE: service },
    });
  const started = await Promise.allSettled([
    start('gateway', ports.gateway),
    start('orders', ports.orders),
    start('inventory', ports.inventory),
  ]);
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const cleanup = async () => {
    await Promise.all(services.map((s) => s.stop(2_000)));
    await inventoryProxy.delete();
    await postgresProxy.delete();
    // The shared pool, not a bare pg.Client: an 'error' listener and bounds on connect and query.
    const pool = createPool({
      connectionString: postgresUrl,
      name: 'cleanup',
      applicationName: 'poc-76-cleanup',
      max: 1,
      acquireTimeoutMs: 5_000,
      statementTimeoutMs: 30_000, // a cascade over a big schema can take a while
    });
    try {
      await pool.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await pool.end();
    }
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await cleanup();
    throw failed.reason;
  }
  const [gateway, orders, inventory] = services as [ChildService, ChildService, ChildService];
  const urls: Record<Service, string> = {
    gateway: gateway.url,
    orders: orders.url,
    inventory: inventory.url,
  };
  const metric = async (service: Service, name: string, labels: Record<string, string> = {}) => {
    const res = await fetch(`${urls[service]}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return sumOf(parsePrometheusText(await res.text()), name, labels);
  };
  return {
    gatewayUrl: gateway.url,
    inventoryViaProxyUrl: `http://${inventoryProxy.listen}`,
    inventoryProxy,
    postgresProxy,
    metric,
    inFlight: async () => {
      const [g, o, i] = await Promise.all(
        (['gateway', 'orders', 'inventory'] as const).map((s) =>
          metric(s, 'hop_requests_in_flight'),
        ),
      );
      return { gateway: g!, orders: o!, inventory: i! };
    },
    stop: cleanup,
  };
}

/** 10 s of added latency on inventory's answers. */
export const latencyToxic = (latencyMs = 10_000) => ({
  name: 'latency',
  type: 'latency' as const,
  attributes: { latency: latencyMs, jitter: 0 },
});

/** A blackhole: the connection stays open, nothing comes back (toxiproxy `timeout` 0). */
export const blackholeToxic = () => ({
  name: 'blackhole',
  type: 'timeout' as const,
  attributes: { timeout: 0 },
});
