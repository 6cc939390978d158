/**
 * Cut the broker link under a running job service in broker mode, and watch it survive.
 *
 *   pnpm --filter poc-77 outage [--fault reset_peer|disable --fault-sec 5]
 *
 * Hypothesis: RabbitMQ resetting or dropping the connection is a normal day. The service
 * process stays up (0 exits), every request during the fault gets a fast 503 with
 * Retry-After (none hangs), and once the link is back the service reconnects by itself
 * and ≥ 99% of requests succeed again within 10 s. The proxy is toxiproxy's: the shared
 * RabbitMQ is never restarted.
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { type OutageFault, runBrokerOutage } from '../src/experiments/broker-outage.ts';

const args = parseCli(
  `usage: pnpm --filter poc-77 outage [options]
  --fault        reset_peer (every connection reset as data moves) or disable (cut, refuse)
                 (default reset_peer)
  --fault-sec    seconds the link stays broken (default 5)
  --rate         requests per second, open loop (default 10, half the capacity)
  --port         port for the service under test (default 3677)
  --proxy-port   port toxiproxy listens on in front of RabbitMQ (default 27477)`,
  {
    fault: { type: 'string', default: 'reset_peer' },
    'fault-sec': { type: 'string', default: '5' },
    rate: { type: 'string', default: '10' },
    port: { type: 'string', default: '3677' },
    'proxy-port': { type: 'string', default: '27477' },
  },
);
if (args.fault !== 'reset_peer' && args.fault !== 'disable') {
  console.error(`--fault takes reset_peer or disable, got "${args.fault}"`);
  process.exit(2);
}
const faultSec = intFlag('fault-sec', args['fault-sec']);
console.log(`broker link: ${args.fault} for ${faultSec} s while jobs flow…`);
const r = await runBrokerOutage({
  port: intFlag('port', args.port),
  proxyPort: intFlag('proxy-port', args['proxy-port']),
  fault: args.fault as OutageFault,
  ratePerSec: intFlag('rate', args.rate),
  faultSec,
});
printTable(
  (['before', 'during', 'after'] as const).map((phase) => ({
    phase,
    sent: r[phase].sent,
    'ok (200)': r[phase].ok,
    '503 + Retry-After': r[phase].unavailable,
    failed: r[phase].failed,
    late: r[phase].late,
  })),
);
console.log(
  `\nprocess exits: ${r.exits}; /health during the fault: ${r.healthDuring}; ` +
    `back to /health 200 ${r.recoveredMs === null ? 'never (within 10 s)' : `${r.recoveredMs} ms after the link`}.`,
);
const survived = r.exits === 0 && r.during.failed === 0 && r.recoveredMs !== null;
console.log(
  survived
    ? 'hypothesis holds: the service stayed up, answered 503 while the broker was gone, and reconnected by itself.'
    : `hypothesis broken: the service died, hung or did not come back; see its log:\n${r.log}`,
);
process.exit(survived ? 0 : 1);
