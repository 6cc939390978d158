/**
 * The arithmetic behind the break scenarios. A burst of `requests` arrives at once at a
 * pool of `poolSize` connections; every request holds its connection for at least
 * `holdFloorMs` (the network round trip toxiproxy adds: a floor no fast CPU can lower);
 * a request that has not got a connection after `acquireTimeoutMs` gives up with a 503.
 *
 * Each connection starts requests at 0, H, 2H, … so before the timeout it can start at
 * most ⌊T/H⌋ + 1 of them. A slower machine only makes H longer: it can lower what is
 * served, never raise it.
 */
export interface BurstPlan {
  requests: number;
  poolSize: number;
  holdFloorMs: number;
  acquireTimeoutMs: number;
}

/** At most this many requests get a connection before the acquire timeout. */
export function maxServedBeforeTimeout({
  poolSize,
  holdFloorMs,
  acquireTimeoutMs,
}: Omit<BurstPlan, 'requests'>): number {
  return poolSize * (Math.floor(acquireTimeoutMs / holdFloorMs) + 1);
}

/** The last of the burst gets its connection after this long, if every hold takes the floor. */
export function lastAcquireMs({ requests, poolSize, holdFloorMs }: BurstPlan): number {
  return (Math.ceil(requests / poolSize) - 1) * holdFloorMs;
}

/**
 * How the burst should end. `capacity` bounds what is served; `headroom` is how many times longer each hold may get (a busy CPU) before the last
 * request would time out: ≥ 2 means a machine twice as slow still serves them all.
 */
export function planBurst(plan: BurstPlan) {
  const capacity = maxServedBeforeTimeout(plan);
  const lastMs = lastAcquireMs(plan);
  return {
    capacity,
    lastAcquireMs: lastMs,
    /** True when every request gets a connection in time, even at the floor. */
    fits: capacity >= plan.requests,
    /** Requests beyond what the pool can start in time (0 when it fits): they give up. */
    shortfall: Math.max(0, plan.requests - capacity),
    headroom: lastMs === 0 ? null : plan.acquireTimeoutMs / lastMs,
  };
}

/**
 * The fleet budget: `instances` processes with `poolSize` connections each want
 * instances × poolSize backends; a role with `connectionLimit` gets no more. What is over
 * the limit fails to connect ("too many connections for role") as soon as the burst asks
 * every pool for all its connections at once.
 */
export function planFleet({
  instances,
  poolSize,
  connectionLimit,
}: {
  instances: number;
  poolSize: number;
  connectionLimit: number;
}) {
  const wanted = instances * poolSize;
  return { wanted, fits: wanted <= connectionLimit, over: Math.max(0, wanted - connectionLimit) };
}
