import { fileURLToPath } from 'node:url';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';

const bench = (...args: string[]) =>
  runScript('bench/rebalance-protocols.ts', args, {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });

// The experiment itself is asserted by rebalance-protocols.test.ts, which runs the same
// library function the bench runs.
describe('bench:rebalance flags', () => {
  it('--help lists every knob and exits 0 without running anything', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    for (const flag of [
      '--rounds',
      '--events',
      '--variants',
      '--rate',
      '--baseline-ms',
      '--session-ms',
      '--commit-ms',
      '--write',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('round 1/');
  });

  it('names a bad event, protocol or session timeout and exits 2', () => {
    const event = bench('--events', 'join,reboot');
    expect(event.status).toBe(2);
    expect(event.stderr).toContain('--events: unknown event "reboot"');
    const variant = bench('--variants', 'kafkajs/consumer');
    expect(variant.status).toBe(2);
    expect(variant.stderr).toContain('--variants: expected some of');
    const session = bench('--session-ms', '1000');
    expect(session.status).toBe(2);
    expect(session.stderr).toContain('--session-ms must be a whole number ≥ 6000');
  });
});
