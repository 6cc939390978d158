import { parsePrometheusText, sumOf } from '@pocs/shared/prom-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, startRun } from '../src/experiments/run.ts';

// Real Kafka and Redis; no consumer process is started in this file.
describe('HTTP API', () => {
  let run: Run;
  beforeAll(async () => {
    run = await startRun({ PARTITIONS: '6', MAX_CONSUMERS: '2' });
  });
  afterAll(async () => {
    await run?.close();
  });
  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    run.built.app.inject({ method, url, payload: payload as object });

  it('rejects bad scale requests with 400 problem+json naming the field', async () => {
    for (const body of [{ count: 0 }, { count: 'two' }, { count: 1, force: true }]) {
      const res = await inject('POST', '/consumers', body);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const res = await inject('POST', '/consumers', { count: 0 });
    expect(res.json().errors[0].path).toBe('count');
  });

  it('refuses to scale past MAX_CONSUMERS with 409 and starts nothing', async () => {
    const res = await inject('POST', '/consumers', { count: 3 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'too_many_consumers', live: 0, max: 2 });
    expect(run.built.supervisor.list()).toHaveLength(0);
  });

  it('answers 400 for a bad id or signal and 404 for an unknown consumer', async () => {
    expect((await inject('DELETE', '/consumers/abc')).statusCode).toBe(400);
    expect((await inject('DELETE', '/consumers/1?signal=SIGSTOP')).statusCode).toBe(400);
    const missing = await inject('DELETE', '/consumers/99');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('no_such_consumer');
    expect((await inject('POST', '/produce', { count: 0 })).statusCode).toBe(400);
  });

  it('reports per-partition lag in /lag and /metrics, and an unowned group in /assignments', async () => {
    const produced = await inject('POST', '/produce', { count: 30 });
    expect(produced.statusCode).toBe(202);
    const lag = (await inject('GET', '/lag')).json();
    expect(lag.total).toBe(30);
    expect(lag.partitions.map((p: { lag: number }) => p.lag)).toEqual([5, 5, 5, 5, 5, 5]);

    const samples = parsePrometheusText((await inject('GET', '/metrics')).body);
    const topic = run.config.TOPIC;
    expect(sumOf(samples, 'kafka_consumergroup_lag_messages', { topic })).toBe(30);
    expect(sumOf(samples, 'kafka_consumergroup_lag_messages', { topic, partition: '3' })).toBe(5);
    expect(sumOf(samples, 'kafka_consumergroup_unassigned_partitions')).toBe(6);

    const a = (await inject('GET', '/assignments')).json();
    expect(a).toMatchObject({ members: [], unassigned: [0, 1, 2, 3, 4, 5], complete: false });
  });
});
