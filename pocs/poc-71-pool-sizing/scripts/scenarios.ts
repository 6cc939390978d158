import { type ExperimentResult, runPoolExperiment } from './experiment.ts';

export interface ScenarioOptions {
  rulePoolSize: number;
  brokenPoolSize: number;
  connections: number;
  durationSec: number;
  postgresUrl: string;
  products: number;
  port: number;
  print?: (line: string) => void;
}

export interface ScenarioResult {
  baseline: ExperimentResult;
  broken: ExperimentResult;
}

/**
 * Too small: production puts a network hop between app and database, so every query
 * holds its connection for at least a round trip. With 2 ms added by toxiproxy, one
 * connection serves at most ~400 queries/s; 800 requests/s offered make the queue grow
 * until requests give up at the 500 ms acquire timeout. The rule-of-thumb pool keeps up.
 */
export async function tooSmall(
  o: ScenarioOptions & {
    rate: number;
    dbLatencyMs: number;
    acquireTimeoutMs: number;
    toxiproxyUrl?: string;
  },
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
      rate: o.rate,
      dbLatencyMs: o.dbLatencyMs,
      ...(o.toxiproxyUrl ? { toxiproxyUrl: o.toxiproxyUrl } : {}),
      ...(o.print ? { print: o.print } : {}),
    });
  o.print?.(
    `▶ baseline: pool ${o.rulePoolSize}, ${o.rate} req/s offered, +${o.dbLatencyMs} ms per query`,
  );
  const baseline = await run(o.rulePoolSize, o.port);
  o.print?.(`▶ too small: pool ${o.brokenPoolSize}, same load`);
  const broken = await run(o.brokenPoolSize, o.port + 10);
  return { baseline, broken };
}

/**
 * Too large: with as many connections as requests in flight, the queue moves from the
 * pool into Postgres. Dozens of backends share two cores, so each query takes longer
 * and the tail grows, although nobody waits for a connection.
 */
export async function tooLarge(
  o: ScenarioOptions & { acquireTimeoutMs: number },
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
      ...(o.print ? { print: o.print } : {}),
    });
  o.print?.(`▶ baseline: pool ${o.rulePoolSize}, ${o.connections} connections flat out`);
  const baseline = await run(o.rulePoolSize, o.port);
  o.print?.(`▶ too large: pool ${o.brokenPoolSize}, same load`);
  const broken = await run(o.brokenPoolSize, o.port + 10);
  return { baseline, broken };
}
