import { describe, expect, it } from 'vitest';
import { bucketsOf, histogramQuantile, parsePrometheusText, sumOf } from '../src/prom-text.ts';

const text = `# HELP db_pool_clients Pool clients by state
# TYPE db_pool_clients gauge
db_pool_clients{pool="main",state="idle"} 3
db_pool_clients{pool="main",state="waiting"} 37
db_pool_clients{pool="other",state="waiting"} 5
wait_seconds_bucket{le="0.1",pool="main"} 50
wait_seconds_bucket{le="0.5",pool="main"} 90
wait_seconds_bucket{le="1",pool="main"} 100
wait_seconds_bucket{le="+Inf",pool="main"} 100
process_start_time_seconds 1.7e9
`;

describe('prometheus text', () => {
  it('parses names, labels and values, skipping comments', () => {
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(8);
    expect(samples[0]).toEqual({
      name: 'db_pool_clients',
      labels: { pool: 'main', state: 'idle' },
      value: 3,
    });
    expect(samples.at(-1)).toEqual({
      name: 'process_start_time_seconds',
      labels: {},
      value: 1.7e9,
    });
  });

  it('sums samples that match the given labels', () => {
    const samples = parsePrometheusText(text);
    expect(sumOf(samples, 'db_pool_clients', { state: 'waiting' })).toBe(42);
    expect(sumOf(samples, 'db_pool_clients', { pool: 'main', state: 'waiting' })).toBe(37);
    expect(sumOf(samples, 'missing')).toBe(0);
  });

  it('computes quantiles like histogram_quantile: linear inside the bucket', () => {
    const buckets = bucketsOf(parsePrometheusText(text), 'wait_seconds', { pool: 'main' });
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    // rank 75 lies 25/40 of the way through the (0.1, 0.5] bucket
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.1 + 0.4 * (25 / 40));
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.5 + 0.5 * (9 / 10));
    expect(histogramQuantile(0.99, [])).toBeNaN();
  });
});
