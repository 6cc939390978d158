import { describe, expect, it } from 'vitest';
import { runPaymentsExperiment } from '../src/experiments/payments.ts';
import { postgresUrl } from './harness.ts';

// The break script runs 10,000 payments per mode (results/headline.json); the suite
// runs 1,000 to stay under ~90 s. Same code and faults, with the slow share nudged from
// 15% to 17% so the measured fault share (≈ 25%) stays well clear of the 20% floor.
const common = {
  payments: 1_000,
  concurrency: 64,
  apiPort: 3573,
  providerPort: 3583,
  proxyListen: '127.0.0.1:27303',
  postgresUrl,
  slowShare: 0.17,
  resetShare: 0.1,
  providerTimeoutMs: 250,
};

describe('headline: retrying clients under injected faults', () => {
  it('without keys: > 0 customers charged twice and the ledgers disagree', async () => {
    const r = await runPaymentsExperiment({ ...common, withKeys: false });
    expect(r.faultShare).toBeGreaterThanOrEqual(0.2);
    expect(r.gaveUp).toBe(0);
    expect(r.ledgers.doubleCharges).toBeGreaterThan(0);
    expect(r.ledgers.reconciled).toBe(false);
  }, 90_000);

  it('with keys: 0 double charges and the ledgers reconcile', async () => {
    const r = await runPaymentsExperiment({ ...common, withKeys: true });
    expect(r.faultShare).toBeGreaterThanOrEqual(0.2);
    expect(r.gaveUp).toBe(0);
    expect(r.succeeded).toBe(1_000);
    expect(r.ledgers).toMatchObject({
      providerCharges: 1_000,
      ordersCharged: 1_000,
      doubleCharges: 0,
      apiSucceeded: 1_000,
      reconciled: true,
    });
  }, 90_000);
});
