import { performance } from 'node:perf_hooks';
import { createPool, type InstrumentedPool } from '@pocs/shared/pool';
import { median } from '@pocs/shared/stats';

export interface WithClientCost {
  poolMax: number;
  concurrency: number;
  rounds: number;
  checkoutsPerRound: number;
  query: string;
  /** Median over rounds of the mean time per checkout, in microseconds. */
  manualReleaseUsPerCheckout: number;
  withClientUsPerCheckout: number;
  /** withClient minus manual; noise is of the same order, so read the sign with care. */
  differenceUs: number;
  differencePercent: number;
  /** Per round, to show the noise: µs per checkout. */
  manualRounds: number[];
  withClientRounds: number[];
}

type Checkout = (pool: InstrumentedPool) => Promise<unknown>;

/** The correct manual version: acquire, then release in finally. */
const manualRelease: Checkout = async (pool) => {
  const client = await pool.acquire();
  try {
    return await client.query('select 1');
  } finally {
    client.release();
  }
};

const withClient: Checkout = (pool) => pool.withClient((client) => client.query('select 1'));

async function timeRound(pool: InstrumentedPool, checkout: Checkout, n: number, workers: number) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next++ < n) await checkout(pool);
    }),
  );
  return ((performance.now() - started) * 1000) / n;
}

/**
 * What the fix costs against a correct manual release: the same one-statement checkout,
 * rounds alternating between the two so drift hits both alike. `select 1` makes the
 * wrapper's share as large as it can be; a real transaction dwarfs it.
 */
export async function measureWithClientCost({
  postgresUrl,
  poolMax = 10,
  rounds = 8,
  checkoutsPerRound = 5_000,
}: {
  postgresUrl: string;
  poolMax?: number;
  rounds?: number;
  checkoutsPerRound?: number;
}): Promise<WithClientCost> {
  const pool = createPool({
    connectionString: postgresUrl,
    name: 'cost',
    applicationName: 'poc-72-bench',
    max: poolMax,
    acquireTimeoutMs: 5_000,
    leakDetectionThresholdMs: 2_000,
  });
  try {
    // Warm up: open every connection and let V8 optimise both paths.
    await timeRound(pool, manualRelease, 2_000, poolMax);
    await timeRound(pool, withClient, 2_000, poolMax);
    const manual: number[] = [];
    const wrapped: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      if (r % 2 === 0) {
        manual.push(await timeRound(pool, manualRelease, checkoutsPerRound, poolMax));
        wrapped.push(await timeRound(pool, withClient, checkoutsPerRound, poolMax));
      } else {
        wrapped.push(await timeRound(pool, withClient, checkoutsPerRound, poolMax));
        manual.push(await timeRound(pool, manualRelease, checkoutsPerRound, poolMax));
      }
    }
    const m = median(manual);
    const w = median(wrapped);
    return {
      poolMax,
      concurrency: poolMax,
      rounds,
      checkoutsPerRound,
      query: 'select 1',
      manualReleaseUsPerCheckout: round1(m),
      withClientUsPerCheckout: round1(w),
      differenceUs: round1(w - m),
      differencePercent: round1(((w - m) / m) * 100),
      manualRounds: manual.map(round1),
      withClientRounds: wrapped.map(round1),
    };
  } finally {
    await pool.end();
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
