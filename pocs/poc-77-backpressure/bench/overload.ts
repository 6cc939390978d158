/**
 * Bench: capacity first, then 10× overload for 60 s per admission mode (broker included), then 2× overload
 * comparing fixed limits with the adaptive one; plus the in-process stream run.
 *   pnpm --filter poc-77 bench [--long 60 --short 20]
 * Writes results/overload.json, results/overload-10x.svg and results/overload-2x.svg.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { withProgress } from '@pocs/shared/progress';
import { writeResult } from '@pocs/shared/results';
import { rabbitmqVersion } from '@pocs/shared/service-versions';
import { capacityPerSec, loadConfig } from '../src/config.ts';
import { measureCapacity, type OverloadResult, runOverload } from '../src/experiments/overload.ts';
import { runStreamIngest } from '../src/stream-ingest.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-77 bench [options]
  --long          seconds of 10× overload per mode (default 60)
  --short         seconds of 2× overload per limit (default 20)
  --capacity-sec  seconds of the closed-loop capacity run (default 10)`,
  {
    long: { type: 'string', default: '60' },
    short: { type: 'string', default: '20' },
    'capacity-sec': { type: 'string', default: '10' },
  },
);
const longSec = intFlag('long', args.long);
const shortSec = intFlag('short', args.short);
const config = loadConfig({});
const port = 3177;
const deadlineMs = 1_000;
const rssBoundMb = 300;
const maxOldSpaceMb = 512;

const capacity = await withProgress('▶ measuring capacity', () =>
  measureCapacity({
    port,
    clients: config.WORKERS,
    durationSec: intFlag('capacity-sec', args['capacity-sec']),
  }),
);
console.log(
  `capacity: ${capacity.perSec} jobs/s measured (${capacityPerSec(config)} by construction)`,
);

const summary = (r: OverloadResult) => ({
  mode: r.mode,
  ratePerSec: r.ratePerSec,
  stoppedBy: r.stoppedBy,
  loadSec: r.loadSec,
  goodputPerSec: r.goodputPerSec,
  goodputShareOfCapacity: Math.round((r.goodputPerSec / capacity.perSec) * 100) / 100,
  okP50Ms: r.load.outcomes.ok.p50Ms,
  okP99Ms: r.okP99Ms,
  ok: r.load.outcomes.ok.count,
  late: r.load.outcomes.late.count,
  shed: r.load.outcomes.shed.count,
  skippedAfterBound: r.load.outcomes.skipped.count,
  failed: r.load.outcomes.failed.count,
  peakRssMb: r.peakRssMb,
  rssSlopeMbPerSec: r.rssSlopeMbPerSec,
  heapSlopeMbPerSec: r.heapSlopeMbPerSec,
  samplesOverRssBound: r.samplesOverRssBound,
  maxQueueDepth: r.maxQueueDepth,
  // The service's own counts: jobs that waited in its queue (broker: on RabbitMQ) past the deadline.
  admitted: r.service.admitted,
  completed: r.service.completed,
  waitedPastDeadline: r.service.waitedPastDeadline,
  queueWaitAtMostSec: r.service.maxWaitAtMostSec,
});

const tenX: (ReturnType<typeof summary> & { samples: OverloadResult['samples'] })[] = [];
const tenXRaw: OverloadResult[] = [];
for (const mode of ['unbounded', 'fixed', 'adaptive', 'broker'] as const) {
  const r = await withProgress(`▶ 10× overload, ADMISSION_MODE=${mode}`, () =>
    runOverload({
      mode,
      port,
      ratePerSec: capacityPerSec(config) * 10,
      durationSec: longSec,
      deadlineMs,
      rssBoundMb,
      maxOldSpaceMb,
    }),
  );
  tenXRaw.push(r);
  tenX.push({ ...summary(r), samples: r.samples });
  console.log(
    `10× ${mode}: goodput ${r.goodputPerSec}/s, peak RSS ${r.peakRssMb} MB, RSS slope ${r.rssSlopeMbPerSec} MB/s, stopped by ${r.stoppedBy}`,
  );
}

const twoXCases = [
  { label: 'fixed limit 1', mode: 'fixed', env: { MAX_IN_FLIGHT: '1' } },
  { label: 'fixed limit 10', mode: 'fixed', env: { MAX_IN_FLIGHT: '10' } },
  { label: 'fixed limit 100', mode: 'fixed', env: { MAX_IN_FLIGHT: '100' } },
  { label: 'adaptive (Vegas)', mode: 'adaptive', env: {} },
] as const;
const twoX = [];
const twoXRaw: { label: string; r: OverloadResult }[] = [];
for (const c of twoXCases) {
  const r = await withProgress(`▶ 2× overload, ${c.mode}`, () =>
    runOverload({
      mode: c.mode,
      port,
      ratePerSec: capacityPerSec(config) * 2,
      durationSec: shortSec,
      deadlineMs,
      rssBoundMb,
      maxOldSpaceMb,
      env: c.env,
    }),
  );
  twoXRaw.push({ label: c.label, r });
  twoX.push({
    label: c.label,
    ...summary(r),
    limitAtEnd: r.samples.at(-1)?.limit ?? null,
    limitOverTime: r.samples.map((s) => [s.tSec, s.limit]),
  });
  console.log(
    `2× ${c.label}: goodput ${r.goodputPerSec}/s, ok p99 ${r.okP99Ms} ms, late ${r.load.outcomes.late.count}`,
  );
}

const streamScenario = {
  producerPerSec: 500,
  consumerPerSec: 50,
  chunkBytes: 64 * 1024,
  highWaterMarkBytes: 256 * 1024,
  durationMs: 5_000,
};
const streams = [
  await runStreamIngest({ ...streamScenario, variant: 'ignore-backpressure' }),
  await runStreamIngest({ ...streamScenario, variant: 'pipeline' }),
];

const data = {
  setup: {
    workers: config.WORKERS,
    jobServiceMs: config.JOB_SERVICE_MS,
    jobMemoryBytes: config.JOB_MEMORY_BYTES,
    fixedMaxInFlight: config.MAX_IN_FLIGHT,
    brokerMaxLength: config.BROKER_MAX_LENGTH,
    deadlineMs,
    rssBoundMb,
    maxOldSpaceMb,
  },
  capacity,
  overload10x: { durationSec: longSec, runs: tenX },
  overload2x: { durationSec: shortSec, runs: twoX },
  streams: { scenario: streamScenario, runs: streams },
};

const perSecondOk = (r: OverloadResult): [number, number][] =>
  r.load.perSecond.map((p) => [p.second, p.ok]);
const tenXSvg = renderLineChart({
  title: `10× overload (${capacityPerSec(config) * 10} jobs/s offered, capacity ${capacity.perSec}/s)`,
  xLabel: 'seconds',
  panels: [
    {
      title: `service RSS (load stops at ${rssBoundMb} MB)`,
      yLabel: 'MB',
      series: tenXRaw.map((r) => ({
        name: r.mode,
        points: r.samples.map((s) => [s.tSec, s.rssMb] as [number, number]),
      })),
    },
    {
      title: `goodput: 200 within ${deadlineMs} ms`,
      yLabel: 'jobs/s',
      series: tenXRaw.map((r) => ({ name: r.mode, points: perSecondOk(r) })),
    },
  ],
});
const twoXSvg = renderLineChart({
  title: `2× overload (${capacityPerSec(config) * 2} jobs/s offered): fixed limits vs adaptive`,
  xLabel: 'seconds',
  panels: [
    {
      title: `goodput: 200 within ${deadlineMs} ms`,
      yLabel: 'jobs/s',
      series: twoXRaw.map(({ label, r }) => ({ name: label, points: perSecondOk(r) })),
    },
    {
      title: 'admission limit (log scale)',
      yLabel: 'in flight',
      yLog: true,
      series: twoXRaw.map(({ label, r }) => ({
        name: label,
        points: r.samples.map((s) => [s.tSec, s.limit] as [number, number]),
      })),
    },
  ],
});
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-77',
  bench: 'overload',
  script: 'bench',
  write: args.write,
  services: { rabbitmq: await rabbitmqVersion(config.RABBITMQ_URL) },
  data,
  files: { 'overload-10x.svg': tenXSvg, 'overload-2x.svg': twoXSvg },
});
