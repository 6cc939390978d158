/**
 * The replay tool: republish a range of already-processed orders to the running service,
 * as an operator does after a consumer bug or a lost downstream write.
 *
 *   pnpm --filter poc-74 replay --from 1 --to 100 [--url http://127.0.0.1:3074]
 *
 * Then compare `GET /shipments/summary` before and after: `duplicates` must not move.
 */
import { intFlag, parseCli } from '@pocs/shared/cli';

const args = parseCli(
  `usage: pnpm --filter poc-74 replay --from N --to M [--url URL]
  --from  first order id to republish
  --to    last order id to republish (at most 10000 per call)
  --url   the running service (default http://127.0.0.1:3074; env POC74_URL)`,
  {
    from: { type: 'string' },
    to: { type: 'string' },
    url: { type: 'string', default: process.env.POC74_URL ?? 'http://127.0.0.1:3074' },
  },
);
const fromOrderId = intFlag('from', args.from);
const toOrderId = intFlag('to', args.to);
const summary = async () =>
  (await (await fetch(`${args.url}/shipments/summary`)).json()) as {
    shipments: number;
    duplicates: number;
  };

const before = await summary();
const res = await fetch(`${args.url}/replay`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ fromOrderId, toOrderId }),
});
const body = (await res.json()) as { replayed?: number; title?: string };
if (!res.ok) {
  console.error(`replay refused (${res.status}): ${body.title}`);
  process.exit(1);
}
console.log(`republished ${body.replayed} orders (${fromOrderId}..${toOrderId})`);
console.log(
  `shipments before: ${before.shipments} (${before.duplicates} duplicates); the consumer is working through the replay — check ${args.url}/shipments/summary`,
);
