import { type ExperimentResult, runPoolExperiment } from './pool.ts';

export interface ScenarioOptions {
  rulePoolSize: number;
  brokenPoolSize: number;
  connections: number;
  durationSec: number;
  acquireTimeoutMs: number;
  postgresUrl: string;
  products: number;
  port: number;
  print?: (line: string) => void;
}

export interface ScenarioResult {
  baseline: ExperimentResult;
  broken: ExperimentResult;
}

type Extra = Pick<Parameters<typeof runPoolExperiment>[0], 'rate' | 'dbLatencyMs' | 'toxiproxyUrl'>;

/** The same load at the rule-of-thumb size, then at the broken size (on another port). */
async function compare(
  o: ScenarioOptions,
  extra: Extra,
  describe: string,
): Promise<ScenarioResult> {
  const run = (poolSize: number, port: number) =>
    runPoolExperiment({
      poolSize,
      port,
      connections: o.connections,
      durationSec: o.durationSec,
      acquireTimeoutMs: o.acquireTimeoutMs,
      postgresUrl: o.postgresUrl,
      products: o.products,
      ...extra,
      ...(o.print ? { print: o.print } : {}),
    });
  o.print?.(`▶ baseline: pool ${o.rulePoolSize}, ${describe}`);
  const baseline = await run(o.rulePoolSize, o.port);
  o.print?.(`▶ broken: pool ${o.brokenPoolSize}, same load`);
  const broken = await run(o.brokenPoolSize, o.port + 10);
  return { baseline, broken };
}

/**
 * Too small: production puts a network hop between app and database, so every query
 * holds its connection for at least a round trip. With 10 ms added by toxiproxy, one
 * connection serves only ~60 requests/s of this mix; 150 requests/s offered open-loop
 * make its queue grow until requests give up at the acquire timeout. The rule-of-thumb
 * pool serves the same load with a queue of a few. The load is kept low on purpose: the
 * lesson is time spent waiting on the network, and at 300 requests/s this mix's reports
 * alone take most of a 2-core machine, so the baseline then starves on CPU instead.
 */
export function tooSmall(
  o: ScenarioOptions & { rate: number; dbLatencyMs: number; toxiproxyUrl?: string },
): Promise<ScenarioResult> {
  return compare(
    o,
    {
      rate: o.rate,
      dbLatencyMs: o.dbLatencyMs,
      ...(o.toxiproxyUrl ? { toxiproxyUrl: o.toxiproxyUrl } : {}),
    },
    `${o.rate} req/s offered, +${o.dbLatencyMs} ms per query`,
  );
}

/**
 * Too large: with as many connections as requests in flight, the queue moves from the
 * pool into Postgres. Dozens of backends share two cores, so each query takes longer
 * and the tail grows, although nobody waits for a connection.
 */
export function tooLarge(o: ScenarioOptions): Promise<ScenarioResult> {
  return compare(o, {}, `${o.connections} connections flat out`);
}
