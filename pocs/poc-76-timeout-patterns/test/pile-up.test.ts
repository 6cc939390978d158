import { performance } from 'node:perf_hooks';
import { serviceDefaults } from '@pocs/shared/config';
import { waitFor } from '@pocs/shared/wait';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import {
  blackholeToxic,
  type Chain,
  latencyToxic,
  startChain,
  testPorts,
} from '../src/experiments/chain.ts';
import { driveLoad, lateCount, percentileMs } from '../src/experiments/load.ts';

// Both chains use the test ports and proxies 27601/27602: the tests in this file run one at a time.
const postgresUrl = process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL;
const deadlineMs = loadConfig({}).GATEWAY_DEADLINE_MS;
const limitMs = deadlineMs * 1.1;
const RATE = 20;
const COUNT = 60; // 3 s of load
let chain: Chain | undefined;

afterEach(async () => {
  await chain?.stop();
  chain = undefined;
});

const schema = (tag: string) => `poc76_pile_${tag}_${process.pid}`;

describe('10 s of latency in front of inventory', () => {
  it('without timeouts, requests pile up at the gateway and at orders (counted to a bound)', async () => {
    chain = await startChain({
      ports: testPorts,
      broken: true,
      postgresUrl,
      schema: schema('broken'),
    });
    await chain.inventoryProxy.addToxic(latencyToxic(10_000));
    const load = driveLoad({
      url: `${chain.gatewayUrl}/api/availability/SKU-1`,
      ratePerSec: RATE,
      count: COUNT,
      giveUpMs: 30_000,
    });
    await load.sent;
    // Every request sent is still being worked on at both hops: the bound is the load.
    const piled = await waitFor(
      async () => {
        const f = await chain!.inFlight();
        return f.gateway >= COUNT && f.orders >= COUNT ? f : undefined;
      },
      { timeoutMs: 5_000, description: `${COUNT} requests in flight at gateway and orders` },
    );
    const nowMs = performance.now() - load.startedAt;
    expect(piled.gateway).toBe(COUNT);
    expect(piled.orders).toBe(COUNT);
    // Inventory answered at once; the 10 s are on the wire, so nothing waits there.
    expect(piled.inventory).toBe(0);
    // The bad thing, counted: requests older than the gateway deadline + 10% with no answer.
    expect(lateCount(load.requests, limitMs, nowMs)).toBeGreaterThan(0);
    expect(await chain.metric('gateway', 'hop_open_sockets')).toBeGreaterThanOrEqual(COUNT);
    await chain.stop(); // kills the services: the stuck requests fail instead of waiting 10 s
    chain = undefined;
    await load.done;
  });

  it('with timeouts, deadline and breaker, p99 stays within the deadline + 10%, nothing piles up, and it recovers', async () => {
    chain = await startChain({
      ports: testPorts,
      broken: false,
      postgresUrl,
      schema: schema('fixed'),
    });
    await chain.inventoryProxy.addToxic(latencyToxic(10_000));
    let maxGatewayInFlight = 0;
    const load = driveLoad({
      url: `${chain.gatewayUrl}/api/availability/SKU-1`,
      ratePerSec: RATE,
      count: COUNT,
      giveUpMs: 30_000,
    });
    const sampling = (async () => {
      while (load.requests.length < COUNT || load.requests.some((r) => r.latencyMs === null)) {
        maxGatewayInFlight = Math.max(maxGatewayInFlight, (await chain!.inFlight()).gateway);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const done = await load.done;
    await sampling;
    const latencies = done.map((r) => r.latencyMs!);
    expect(percentileMs(latencies, 0.99)).toBeLessThanOrEqual(limitMs);
    // The twin of the count above: exactly 0 requests late.
    expect(lateCount(done, limitMs, performance.now() - load.startedAt)).toBe(0);
    // Little's law: in flight ≤ rate × the longest a request can live (the deadline).
    expect(maxGatewayInFlight).toBeLessThanOrEqual((RATE * deadlineMs) / 1000);
    expect(done.every((r) => r.status === 503 || r.status === 504)).toBe(true);
    expect(await chain.metric('orders', 'circuit_breaker_state', { dependency: 'inventory' })).toBe(
      2,
    );

    // Blackhole: the connection stays open and nothing comes back. Still bounded.
    await chain.inventoryProxy.removeToxic('latency');
    await chain.inventoryProxy.addToxic(blackholeToxic());
    const hole = await driveLoad({
      url: `${chain.gatewayUrl}/api/availability/SKU-2`,
      ratePerSec: RATE,
      count: 20,
      giveUpMs: 30_000,
    }).done;
    expect(lateCount(hole, limitMs, Number.POSITIVE_INFINITY)).toBe(0);
    expect(hole.every((r) => r.status === 503 || r.status === 504)).toBe(true);

    // Fault removed: the breaker's trial call succeeds, it closes, answers are 200 again.
    await chain.inventoryProxy.removeToxic('blackhole');
    await waitFor(
      async () => (await fetch(`${chain!.gatewayUrl}/api/availability/SKU-3`)).status === 200,
      { timeoutMs: 15_000, intervalMs: 250, description: 'the gateway to answer 200 again' },
    );
    expect(await chain.metric('orders', 'circuit_breaker_state', { dependency: 'inventory' })).toBe(
      0,
    );
    expect(
      await chain.metric('orders', 'circuit_breaker_transitions_total', {
        dependency: 'inventory',
        to: 'closed',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(await chain.inFlight()).toEqual({ gateway: 0, orders: 0, inventory: 0 });
  });
});
