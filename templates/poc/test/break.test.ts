import { describe, expect, it } from 'vitest';
import { measureLatency } from '../src/experiments/latency.ts';

// The break script's own experiment, shortened: it must keep reproducing its failure.
describe('break: slow requests', () => {
  it('every request takes at least the injected 100 ms; without the fault the median is far below', async () => {
    const common = { port: __PORT__ + 300, connections: 4, durationSec: 1 };
    const baseline = await measureLatency(common);
    const broken = await measureLatency({ ...common, env: { BREAK_SLOW_MS: '100' } });
    expect(baseline.non2xx).toBe(0);
    expect(broken.non2xx).toBe(0);
    expect(broken.p50Ms).toBeGreaterThanOrEqual(100);
    expect(baseline.p50Ms).toBeLessThan(50);
  });
});
