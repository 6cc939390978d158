/**
 * Overload a job service 10× past its capacity, watch an unbounded queue eat memory,
 * then apply the fixes and watch memory stay flat while goodput stays at capacity.
 *
 *   pnpm --filter poc-77 break [--overload 10 --duration 15 --rss-bound-mb 300]
 *
 * Steady state (the hypothesis): with an admission limit (fixed, adaptive, or a bounded
 * RabbitMQ queue with prefetch in broker mode), 10× the
 * capacity for 15 s keeps RSS under 300 MB, has 0 requests past their 1 s deadline, and
 * completes ≥ 90% of capacity (20 jobs/s) within the deadline. Unbounded, every request
 * is queued with its 256 KB payload, so memory grows by roughly
 * (offered − capacity) × 256 KB per second until the RSS bound stops the run.
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { admissionModes, capacityPerSec, loadConfig } from '../src/config.ts';
import { type OverloadResult, runOverload } from '../src/experiments/overload.ts';
import { runStreamIngest } from '../src/stream-ingest.ts';

const args = parseCli(
  `usage: pnpm --filter poc-77 break [options]
  --modes          comma list of unbounded, fixed, adaptive, broker (default all; env BREAK_MODES)
  --overload       offered load as a multiple of capacity (default 10; env BREAK_OVERLOAD)
  --duration       seconds of load per mode (default 15; env BREAK_DURATION_SEC)
  --deadline-ms    client deadline per request (default 1000)
  --rss-bound-mb   stop the load when the service's RSS reaches this (default 300)
  --heap-cap-mb    --max-old-space-size of the service (default 512)
  --port           port for the service under test (default 3177)`,
  {
    modes: { type: 'string', default: process.env.BREAK_MODES ?? admissionModes.join(',') },
    overload: { type: 'string', default: process.env.BREAK_OVERLOAD ?? '10' },
    duration: { type: 'string', default: process.env.BREAK_DURATION_SEC ?? '15' },
    'deadline-ms': { type: 'string', default: '1000' },
    'rss-bound-mb': { type: 'string', default: '300' },
    'heap-cap-mb': { type: 'string', default: '512' },
    port: { type: 'string', default: '3177' },
  },
);
const modes = args.modes.split(',');
for (const m of modes) {
  if (!(admissionModes as readonly string[]).includes(m)) {
    console.error(`--modes takes ${admissionModes.join(', ')}, got "${m}"`);
    process.exit(2);
  }
}
const config = loadConfig({});
const capacity = capacityPerSec(config);
const overload = intFlag('overload', args.overload);
const common = {
  port: intFlag('port', args.port),
  ratePerSec: capacity * overload,
  durationSec: intFlag('duration', args.duration),
  deadlineMs: intFlag('deadline-ms', args['deadline-ms']),
  rssBoundMb: intFlag('rss-bound-mb', args['rss-bound-mb']),
  maxOldSpaceMb: intFlag('heap-cap-mb', args['heap-cap-mb']),
};
const growthMbPerSec = ((common.ratePerSec - capacity) * config.JOB_MEMORY_BYTES) / 2 ** 20;

console.log(
  `Hypothesis: with an admission limit, ${common.ratePerSec} jobs/s (${overload}× the capacity of ${capacity}/s) ` +
    `for ${common.durationSec} s keeps RSS < ${common.rssBoundMb} MB, 0 requests past ${common.deadlineMs} ms, ` +
    `goodput ≥ ${0.9 * capacity}/s.\n` +
    `Prediction for ADMISSION_MODE=unbounded: ~${growthMbPerSec.toFixed(0)} MB/s of queued payload ` +
    `(${common.ratePerSec - capacity} extra jobs/s × ${config.JOB_MEMORY_BYTES / 1024} KB) until RSS hits the bound.\n`,
);

const results: OverloadResult[] = [];
for (const mode of modes as (typeof admissionModes)[number][]) {
  console.log(
    `▶ injecting ${common.ratePerSec} jobs/s open loop into ADMISSION_MODE=${mode} for up to ${common.durationSec} s`,
  );
  const r = await runOverload({ ...common, mode });
  results.push(r);
  console.log(
    `  stopped by ${r.stoppedBy} after ${r.loadSec} s; peak RSS ${r.peakRssMb} MB, slope ${r.rssSlopeMbPerSec} MB/s\n`,
  );
}
console.log('What moved:');
printTable(
  Object.fromEntries(
    results.map((r) => [
      r.mode,
      {
        'load s': r.loadSec,
        'stopped by': r.stoppedBy,
        'goodput /s': r.goodputPerSec,
        'ok p99 ms': r.okP99Ms ?? '-',
        late: r.load.outcomes.late.count,
        'waited > deadline': r.service.waitedPastDeadline,
        '429 shed': r.load.outcomes.shed.count,
        'not sent (bound)': r.load.outcomes.skipped.count,
        'peak RSS MB': r.peakRssMb,
        'RSS MB/s': r.rssSlopeMbPerSec,
        'heap MB/s': r.heapSlopeMbPerSec,
      },
    ]),
  ),
);

console.log(
  '\n▶ the same lesson inside one process: Node streams, producer 10× faster than consumer',
);
const streamScenario = {
  producerPerSec: 500,
  consumerPerSec: 50,
  chunkBytes: 64 * 1024,
  highWaterMarkBytes: 256 * 1024,
  durationMs: 3_000,
};
const streams = [
  await runStreamIngest({ ...streamScenario, variant: 'ignore-backpressure' }),
  await runStreamIngest({ ...streamScenario, variant: 'pipeline' }),
];
printTable(
  Object.fromEntries(
    streams.map((s) => [
      s.variant,
      {
        'produced /s': s.producedPerSec,
        'max buffered KB': Math.round(s.maxBufferedBytes / 1024),
        'KB above highWaterMark': Math.round(s.bytesAboveHighWaterMark / 1024),
      },
    ]),
  ),
);

const fixes = results.filter((r) => r.mode !== 'unbounded');
const held = fixes.every(
  (r) =>
    r.samplesOverRssBound === 0 &&
    r.load.outcomes.late.count === 0 &&
    r.goodputPerSec >= 0.9 * capacity,
);
if (fixes.length > 0) {
  console.log(
    held
      ? 'Steady state held with the fixes: RSS under the bound, 0 late, goodput ≥ 90% of capacity.'
      : 'Steady state did NOT hold with a fix: is the machine busy (another bench running)?',
  );
  const unbounded = results.find((r) => r.mode === 'unbounded');
  console.log(
    'The fix: an admission limit that says no early (ADMISSION_MODE=fixed | adaptive answer 429 with Retry-After; ' +
      'broker puts a bounded RabbitMQ queue with prefetch in between):',
  );
  for (const r of fixes) {
    console.log(
      `  ${r.mode}: peak RSS ${unbounded ? `${unbounded.peakRssMb} → ` : ''}${r.peakRssMb} MB, ` +
        `late ${unbounded ? `${unbounded.load.outcomes.late.count} → ` : ''}${r.load.outcomes.late.count}, ` +
        `goodput ${unbounded ? `${unbounded.goodputPerSec} → ` : ''}${r.goodputPerSec}/s of ${capacity}/s capacity, ` +
        `${r.load.outcomes.shed.count} shed with 429.`,
    );
  }
}
console.log(
  `Cleaned up: the service processes this break started on :${common.port} are stopped; broker mode deleted its queue; ` +
    'no files written. RabbitMQ is still running (pnpm services down stops it).',
);
