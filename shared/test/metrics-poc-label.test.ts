import { describe, expect, it } from 'vitest';
import { Counter, createRegistry } from '../src/metrics.ts';
import { parsePrometheusText, sumOf } from '../src/prom-text.ts';

// One Prometheus can scrape every POC: each series says which POC it came from, so metric
// names need no per-POC prefix.
describe('createRegistry', () => {
  it('labels every series, process metrics included, with the POC it belongs to', async () => {
    const registry = createRegistry({ poc: 'poc-99' });
    const counter = new Counter({
      name: 'orders_total',
      help: 'orders, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    counter.inc({ outcome: 'ok' }, 3);
    const samples = parsePrometheusText(await registry.metrics());
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((s) => s.labels.poc !== 'poc-99')).toEqual([]);
    // Callers that filter by their own labels still find their series.
    expect(sumOf(samples, 'orders_total', { outcome: 'ok' })).toBe(3);
  });

  it('adds no label when no POC is named (tests build their own registries)', async () => {
    const samples = parsePrometheusText(await createRegistry().metrics());
    expect(samples.filter((s) => 'poc' in s.labels)).toEqual([]);
  });
});
