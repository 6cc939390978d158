import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { parsePrometheusText, sumOf } from '@pocs/shared/prom-text';
import { waitFor } from '@pocs/shared/wait';
import CircuitBreaker from 'opossum';
import { afterEach, describe, expect, it } from 'vitest';
import { watchBreaker } from '../src/breaker-metrics.ts';

let breakers: CircuitBreaker[] = [];
afterEach(() => {
  for (const b of breakers) b.shutdown();
  breakers = [];
});

describe('circuit breaker metrics', () => {
  it('count every state change by from/to and every refusal, under the dependency label', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    let failing = true;
    const breaker = new CircuitBreaker(
      async () => {
        if (failing) throw new Error('inventory down');
        return 'ok';
      },
      { timeout: false, errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeout: 50 },
    );
    breakers.push(breaker);
    watchBreaker(breaker, { registry, dependency: 'inventory', logger: silentLogger });
    const read = async (name: string, labels: Record<string, string> = {}) =>
      sumOf(parsePrometheusText(await registry.metrics()), name, {
        dependency: 'inventory',
        ...labels,
      });

    expect(await read('circuit_breaker_state')).toBe(0);
    for (let i = 0; i < 2; i++) await breaker.fire().catch(() => {});
    expect(await read('circuit_breaker_state')).toBe(2);
    await expect(breaker.fire()).rejects.toMatchObject({ code: 'EOPENBREAKER' });
    await expect(breaker.fire()).rejects.toMatchObject({ code: 'EOPENBREAKER' });
    expect(await read('circuit_breaker_rejected_total')).toBe(2);

    failing = false;
    await waitFor(async () => (await read('circuit_breaker_state')) === 1, {
      timeoutMs: 2_000,
      intervalMs: 10,
      description: 'the breaker to go half-open',
    });
    await breaker.fire();
    expect(await read('circuit_breaker_state')).toBe(0);
    const moved = (from: string, to: string) =>
      read('circuit_breaker_transitions_total', { from, to });
    expect(await moved('closed', 'open')).toBe(1);
    expect(await moved('open', 'half_open')).toBe(1);
    expect(await moved('half_open', 'closed')).toBe(1);
    expect(await read('circuit_breaker_transitions_total')).toBe(3);
  });

  it('lets two breakers share one registry, told apart by dependency', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    for (const dependency of ['inventory', 'payments']) {
      const breaker = new CircuitBreaker(async () => 'ok', { timeout: false });
      breakers.push(breaker);
      watchBreaker(breaker, { registry, dependency, logger: silentLogger });
    }
    breakers[1]!.open();
    const samples = parsePrometheusText(await registry.metrics());
    expect(sumOf(samples, 'circuit_breaker_state', { dependency: 'inventory' })).toBe(0);
    expect(sumOf(samples, 'circuit_breaker_state', { dependency: 'payments' })).toBe(2);
  });
});
