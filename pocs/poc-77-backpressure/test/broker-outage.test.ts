import { describe, expect, it } from 'vitest';
import { runBrokerOutage } from '../src/experiments/broker-outage.ts';

// Broker mode with RabbitMQ behind toxiproxy (the shared broker is never restarted): jobs
// flow at 10/s (half of capacity), the link is reset for 2 s, then restored. Before the fix
// the first reset ended the process (an amqplib 'error' event with no listener is thrown),
// and a request waiting for its job waited forever. Counts and states only: how fast the
// 503s come is bounded only by the request timeout (3 s); they take milliseconds.
describe('broker mode while the RabbitMQ link is reset', () => {
  it('stays alive (0 exits), answers 503 + Retry-After during the fault and serves again after it', async () => {
    const r = await runBrokerOutage({
      port: 3677,
      proxyPort: 27477,
      fault: 'reset_peer',
      beforeSec: 1,
      faultSec: 2,
      afterSec: 2,
    });
    console.log(
      `exits ${r.exits}; before ${JSON.stringify(r.before)}; during ${JSON.stringify(r.during)}; ` +
        `health during ${r.healthDuring}; recovered in ${r.recoveredMs} ms; after ${JSON.stringify(r.after)}`,
    );
    if (r.exits > 0) console.log(r.log);
    expect(r.exits).toBe(0);
    // Before the fault every job succeeds; one in flight when the reset hits gets a 503.
    expect(r.before.ok).toBeGreaterThan(0);
    expect(r.before.failed).toBe(0);
    expect(r.before.ok + r.before.unavailable).toBe(r.before.sent);
    // Every request during the fault got an answer, and a retriable one: none hung, none crashed.
    expect(r.during.sent).toBeGreaterThan(0);
    expect(r.during.unavailable).toBeGreaterThan(0);
    expect(r.during.failed).toBe(0);
    expect(r.during.late).toBe(0);
    expect(r.healthDuring).toBe(503);
    // Back by itself within 10 s of the link, and ≥ 99 % of what follows succeeds.
    expect(r.recoveredMs).not.toBeNull();
    expect(r.recoveredMs).toBeLessThanOrEqual(10_000);
    expect(r.after.sent).toBeGreaterThan(0);
    expect(r.after.ok / r.after.sent).toBeGreaterThanOrEqual(0.99);
  });
});
