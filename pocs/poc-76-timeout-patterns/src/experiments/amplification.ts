import { waitFor } from '@pocs/shared/wait';
import type { Chain } from './chain.ts';

export interface AmplificationResult {
  userRequests: number;
  clientTries: number;
  /** Calls that arrived at inventory (inventory_calls_total delta). */
  inventoryCalls: number;
  /** inventoryCalls / userRequests. */
  amplification: number;
  statuses: number[];
}

/**
 * Cut inventory's database (toxiproxy: proxy disabled, connections refused), send user
 * requests one after another with `clientTries` tries each, and count what arrives at
 * inventory. The proxy is enabled again before returning.
 */
export async function measureAmplification(
  chain: Chain,
  { userRequests, clientTries }: { userRequests: number; clientTries: number },
): Promise<AmplificationResult> {
  const before = await chain.metric('inventory', 'inventory_calls_total');
  await chain.postgresProxy.setEnabled(false);
  const statuses: number[] = [];
  try {
    for (let i = 0; i < userRequests; i++) {
      let status = 0;
      for (let t = 0; t < clientTries; t++) {
        const res = await fetch(`${chain.gatewayUrl}/api/availability/SKU-${i + 1}`, {
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        status = res.status;
        if (status < 500) break;
      }
      statuses.push(status);
    }
  } finally {
    await chain.postgresProxy.setEnabled(true);
  }
  // Every call was answered before its caller's answer came back; read the counter once settled.
  const inventoryCalls =
    (await waitFor(
      async () => {
        const f = await chain.inFlight();
        return f.gateway + f.orders + f.inventory === 0 ? true : undefined;
      },
      { timeoutMs: 5_000, description: 'the chain to be idle' },
    )) && (await chain.metric('inventory', 'inventory_calls_total')) - before;
  return {
    userRequests,
    clientTries,
    inventoryCalls,
    amplification: inventoryCalls / userRequests,
    statuses,
  };
}
