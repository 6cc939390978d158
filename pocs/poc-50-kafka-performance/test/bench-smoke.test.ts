import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaHome, kafkaLibsDir } from '@pocs/infra/kafka';
import { cacheRootFrom } from '@pocs/infra/paths';
import { createKafka } from '@pocs/kafka';
import { runScript } from '@pocs/shared/run-script';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINE_ID } from '../src/experiments/throughput/cases.ts';
import { defaultLibsDir, findJavaTool } from '../src/experiments/throughput/java-tool.ts';
import { benchResultSchema } from '../src/experiments/throughput/result-schema.ts';
import { brokers } from './services.ts';

const pocDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'poc50-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const bench = (...flags: string[]) =>
  runScript('bench/throughput.ts', flags, {
    cwd: pocDir,
    env: { ...process.env, KAFKA_BROKERS: brokers },
    timeoutMs: 90_000,
  });

/** Brokers in the cluster the bootstrap list leads to, as the bench reports them. */
async function clusterSize(): Promise<number> {
  const admin = createKafka({ brokers, clientId: 'poc50-test' }).admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect();
  }
}

describe('bench', () => {
  it('the smallest configuration writes a well-formed result', async () => {
    const run = bench('--smoke', '--out', out);
    expect(run.status, run.stderr).toBe(0);
    const result = benchResultSchema.parse(
      JSON.parse(readFileSync(join(out, 'throughput-smoke.json'), 'utf8')),
    );
    expect(result.settings.suite).toBe('smoke');
    expect(result.producer.map((p) => p.id)).toEqual([BASELINE_ID, 'platformatic-batch-1']);
    expect(result.consumer).toHaveLength(1);
    // The smoke consumer reads every pre-filled message (2,000, idempotent producer) once.
    expect(result.settings.consumerMessages).toBe(2_000);
    expect(result.consumer[0]!.rounds.map((r) => r.messages)).toEqual([2_000]);
    expect(result.environment.brokers).toBe(await clusterSize());
  });

  it("finds the Java perf tool of the brokers' own Kafka version", async () => {
    const env = { ...process.env, KAFKA_LIBS_DIR: '' };
    const tool = await findJavaTool(defaultLibsDir(env), env);
    expect(tool.libsDir).toBe(kafkaLibsDir(cacheRootFrom(env)));
    expect(tool.toolsJar).toBe(`kafka-tools-${tool.kafkaVersion}.jar`);
    expect(kafkaHome(cacheRootFrom(env)).endsWith(`kafka-${tool.kafkaVersion}`)).toBe(true);
  });

  it('fails with a clear message when the Java perf tool is missing', () => {
    const run = bench('--quick', '--kafka-libs', join(out, 'no-such-libs'), '--out', out);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('kafka-tools jar');
    expect(run.stderr).toContain('pnpm services install kafka');
  });
});
