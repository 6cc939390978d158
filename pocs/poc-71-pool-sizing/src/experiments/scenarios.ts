import { createPool } from '@pocs/shared/pool';
import { ensureCatalog } from '../catalog.ts';
import { planBurst, planFleet } from './burst-math.ts';
import { type FleetRun, runFleetBurst } from './fleet.ts';
import { withLimitedRole } from './role.ts';

export interface ScenarioOptions {
  rulePoolSize: number;
  brokenPoolSize: number;
  /** Requests each service instance gets at once. */
  requests: number;
  /** Latency toxiproxy adds to every Postgres response: the floor of a connection's hold. */
  dbLatencyMs: number;
  acquireTimeoutMs: number;
  postgresUrl: string;
  products: number;
  /** Baseline instances listen from port, broken ones from port + 10. */
  port: number;
  proxyPort: number;
  toxiproxyUrl?: string;
  print?: (line: string) => void;
}

export interface Run extends FleetRun {
  plan: ReturnType<typeof planBurst>;
}

const burstPlan = (o: ScenarioOptions, poolSize: number) =>
  planBurst({
    requests: o.requests,
    poolSize,
    holdFloorMs: o.dbLatencyMs,
    acquireTimeoutMs: o.acquireTimeoutMs,
  });

/** The same burst at the rule-of-thumb size, then at the broken size (on other ports). */
async function compare(
  o: ScenarioOptions,
  fleet: {
    instances: number;
    postgresUrl: string;
    warmUp: boolean;
    countBackends?: () => Promise<number>;
  },
) {
  const run = async (poolSize: number, port: number): Promise<Run> => ({
    plan: burstPlan(o, poolSize),
    ...(await runFleetBurst({
      ...fleet,
      poolSize,
      port,
      requestsPerInstance: o.requests,
      acquireTimeoutMs: o.acquireTimeoutMs,
      dbLatencyMs: o.dbLatencyMs,
      products: o.products,
      proxyPort: o.proxyPort,
      ...(o.toxiproxyUrl ? { toxiproxyUrl: o.toxiproxyUrl } : {}),
      ...(o.print ? { print: o.print } : {}),
    })),
  });
  const who = fleet.instances > 1 ? `${fleet.instances} instances × ` : '';
  o.print?.(`▶ baseline: ${who}pool ${o.rulePoolSize}, ${o.requests} requests each at once`);
  const baseline = await run(o.rulePoolSize, o.port);
  o.print?.(`▶ broken: ${who}pool ${o.brokenPoolSize}, same burst`);
  const broken = await run(o.brokenPoolSize, o.port + 10);
  return { baseline, broken };
}

/**
 * Too small: every query holds its connection for at least the network round trip
 * (toxiproxy adds dbLatencyMs, a floor no CPU speed lowers). A burst of N requests on a
 * pool of P can start at most P·(⌊T/H⌋ + 1) of them before the acquire timeout T; the
 * rest give up with a 503. With the defaults (N 20, H ≥ 200 ms, T 2000 ms) the
 * rule-of-thumb pool of 4 starts its last request at 800 ms, 2.5× inside the timeout, so a
 * busy machine that stretches every hold still serves all 20; the pool of 1 can start at
 * most 11 of them, and no machine is fast enough to start more, because the hold never
 * gets shorter than the round trip.
 */
export function tooSmall(o: ScenarioOptions) {
  return compare(o, { instances: 1, postgresUrl: o.postgresUrl, warmUp: true });
}

export interface TooLargeOptions extends ScenarioOptions {
  /** Service instances sharing the database: the fleet. */
  instances: number;
  /** The role's CONNECTION LIMIT, standing in for the database's max_connections. */
  connectionLimit: number;
}

/**
 * Too large: pools are per process, the database's connection budget is per fleet.
 * `instances` services each open up to their pool size when a burst asks for it (a burst
 * of pool-size requests, each holding its connection for at least the round trip, makes
 * every pool open all of it); the fleet runs as a role with a CONNECTION LIMIT (created
 * for the run, then dropped) in place of max_connections. With the defaults, 2 × 4 = 8
 * connections fit a limit of 16 twice over, so nothing can be refused; 2 × 16 = 32 is
 * twice the limit, and the 16 over it are refused ("too many connections for role"),
 * their requests fail fast with 503 + Retry-After, on any machine.
 */
export async function tooLarge(o: TooLargeOptions) {
  // The role only reads: make sure the catalogue exists before granting on it.
  const admin = createPool({ connectionString: o.postgresUrl, max: 1, acquireTimeoutMs: 10_000 });
  try {
    await ensureCatalog(admin, o.products);
  } finally {
    await admin.end();
  }
  return withLimitedRole(
    {
      adminUrl: o.postgresUrl,
      name: `poc71_fleet_${o.proxyPort}`,
      connectionLimit: o.connectionLimit,
      tables: ['poc71_products', 'poc71_orders'],
    },
    async (role) => {
      o.print?.(
        `  role ${role.name}: connection limit ${role.connectionLimit} (the fleet's share of max_connections)`,
      );
      const runs = await compare(o, {
        instances: o.instances,
        postgresUrl: role.url,
        // Cold pools: the connections the burst makes them open are what the limit refuses.
        warmUp: false,
        countBackends: role.countBackends,
      });
      const fleet = (poolSize: number) =>
        planFleet({ instances: o.instances, poolSize, connectionLimit: o.connectionLimit });
      return {
        role: role.name,
        connectionLimit: o.connectionLimit,
        fleetPlan: { baseline: fleet(o.rulePoolSize), broken: fleet(o.brokenPoolSize) },
        ...runs,
      };
    },
  );
}
