import { serviceDefaults } from '@pocs/shared/config';
import { afterEach, describe, expect, it } from 'vitest';
import { measureAmplification } from '../src/experiments/amplification.ts';
import { type Chain, startChain, testPorts } from '../src/experiments/chain.ts';

// Both chains use the test ports and proxies 27601/27602: the tests in this file run one at a time.
const postgresUrl = process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL;
let chain: Chain | undefined;

afterEach(async () => {
  await chain?.stop();
  chain = undefined;
});

describe('retries while inventory is failing (its Postgres cut by toxiproxy)', () => {
  it('3 tries at each of 3 layers (client, gateway, orders) reach inventory 27 times for one user request', async () => {
    chain = await startChain({
      ports: testPorts,
      broken: true,
      postgresUrl,
      schema: `poc76_amp_broken_${process.pid}`,
    });
    const r = await measureAmplification(chain, { userRequests: 1, clientTries: 3 });
    expect(r.inventoryCalls).toBe(27);
    expect(r.statuses.every((s) => s >= 500)).toBe(true);
  });

  it('one retry at one layer (orders) reaches inventory twice', async () => {
    chain = await startChain({
      ports: testPorts,
      broken: false,
      postgresUrl,
      schema: `poc76_amp_fixed_${process.pid}`,
    });
    const r = await measureAmplification(chain, { userRequests: 1, clientTries: 1 });
    expect(r.inventoryCalls).toBe(2);
    expect(r.statuses).toEqual([503]);
  });
});
