import { performance } from 'node:perf_hooks';
import { percentile, sortAsc } from '@pocs/shared/stats';
import { sleep } from '@pocs/shared/wait';
import { blackholeToxic, type Chain, latencyToxic } from './chain.ts';
import { driveLoad, percentileMs, type Sent } from './load.ts';

export type Phase = 'normal' | 'latency' | 'blackhole' | 'recovered';

export interface ScheduleOptions {
  ratePerSec: number;
  normalSec: number;
  latencySec: number;
  blackholeSec: number;
  recoveredSec: number;
  latencyMs: number;
  /** The user's patience: a request with no answer by then counts as given up. */
  giveUpMs: number;
  sampleEveryMs: number;
  /** Called for each phase change and sample, for live output. */
  print?: (line: string) => void;
}

export interface Sample {
  atSec: number;
  gateway: number;
  orders: number;
  inventory: number;
  gatewaySockets: number;
  gatewayRssMb: number;
}

export interface PhaseStats {
  phase: Phase;
  sent: number;
  ok: number;
  failedFast: number;
  gaveUp: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface ScheduleResult {
  phases: PhaseStats[];
  samples: Sample[];
  requests: (Sent & { phase: Phase })[];
  /** Gateway in-flight once the load generator has stopped waiting for every request. */
  gatewayInFlightAtEnd: number;
  maxInFlight: { gateway: number; orders: number };
  inventoryCalls: number;
}

/**
 * The fault schedule both modes get: normal → latency on inventory's answers → a
 * blackhole → fault removed, under the same open-loop load, with in-flight sampled at
 * every hop.
 */
export async function runFaultSchedule(chain: Chain, o: ScheduleOptions): Promise<ScheduleResult> {
  const bounds: [Phase, number][] = [
    ['normal', 0],
    ['latency', o.normalSec],
    ['blackhole', o.normalSec + o.latencySec],
    ['recovered', o.normalSec + o.latencySec + o.blackholeSec],
  ];
  const totalSec = o.normalSec + o.latencySec + o.blackholeSec + o.recoveredSec;
  const phaseAt = (ms: number): Phase =>
    bounds.reduce<Phase>((acc, [p, startSec]) => (ms >= startSec * 1000 ? p : acc), 'normal');
  const callsBefore = await chain.metric('inventory', 'inventory_calls_total');
  const load = driveLoad({
    url: `${chain.gatewayUrl}/api/availability/SKU-7`,
    ratePerSec: o.ratePerSec,
    count: Math.round(o.ratePerSec * totalSec),
    giveUpMs: o.giveUpMs,
  });
  const elapsed = () => performance.now() - load.startedAt;

  const faults = (async () => {
    const at = async (sec: number) => {
      const wait = sec * 1000 - elapsed();
      if (wait > 0) await sleep(wait);
    };
    await at(o.normalSec);
    await chain.inventoryProxy.addToxic(latencyToxic(o.latencyMs));
    o.print?.(`  t=${o.normalSec}s  +${o.latencyMs} ms latency on inventory's answers`);
    await at(o.normalSec + o.latencySec);
    await chain.inventoryProxy.removeToxic('latency');
    await chain.inventoryProxy.addToxic(blackholeToxic());
    o.print?.(`  t=${o.normalSec + o.latencySec}s  blackhole: connections open, nothing back`);
    await at(o.normalSec + o.latencySec + o.blackholeSec);
    await chain.inventoryProxy.removeToxic('blackhole');
    o.print?.(`  t=${o.normalSec + o.latencySec + o.blackholeSec}s  fault removed`);
  })();

  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const atSec = Math.round(elapsed() / 100) / 10;
      const [f, sockets, rss] = await Promise.all([
        chain.inFlight(),
        chain.metric('gateway', 'hop_open_sockets'),
        chain.metric('gateway', 'process_resident_memory_bytes'),
      ]);
      samples.push({
        atSec,
        ...f,
        gatewaySockets: sockets,
        gatewayRssMb: Math.round(rss / 1e5) / 10,
      });
      await sleep(o.sampleEveryMs);
    }
  })();

  await faults;
  const requests = await load.done;
  const gatewayInFlightAtEnd = (await chain.inFlight()).gateway;
  sampling = false;
  await sampler;
  const inventoryCalls = (await chain.metric('inventory', 'inventory_calls_total')) - callsBefore;

  const tagged = requests.map((r) => ({ ...r, phase: phaseAt(r.sentAtMs) }));
  const phases = bounds.map(([phase]) => {
    const mine = tagged.filter((r) => r.phase === phase);
    const answered = mine.filter((r) => r.status !== 0).map((r) => r.latencyMs!);
    return {
      phase,
      sent: mine.length,
      ok: mine.filter((r) => r.status === 200).length,
      failedFast: mine.filter((r) => r.status !== 0 && r.status !== 200).length,
      gaveUp: mine.filter((r) => r.status === 0).length,
      p50Ms: percentileMs(answered, 0.5),
      p99Ms: percentileMs(answered, 0.99),
      maxMs: answered.length ? Math.max(...answered) : null,
    };
  });
  return {
    phases,
    samples,
    requests: tagged,
    gatewayInFlightAtEnd,
    maxInFlight: {
      gateway: Math.max(...samples.map((s) => s.gateway)),
      orders: Math.max(...samples.map((s) => s.orders)),
    },
    inventoryCalls,
  };
}

/** Latency distribution of inventory as orders sees it (through the proxy, no toxics). */
export async function measureInventoryLatency(
  url: string,
  { requests, concurrency }: { requests: number; concurrency: number },
) {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(`${url}/stock/SKU-${(i % 100) + 1}`);
      await res.arrayBuffer();
      if (res.status !== 200)
        throw new Error(`inventory answered ${res.status} during the latency probe`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const sorted = sortAsc(latencies);
  const q = (p: number) => Math.round(percentile(sorted, p, { sorted: true }) * 10) / 10;
  return { requests, concurrency, p50Ms: q(0.5), p99Ms: q(0.99), p999Ms: q(0.999), maxMs: q(1) };
}

/**
 * The rule this POC uses: 2 × p99.9, rounded up to 10 ms, never below 150 ms (a single
 * call on a busy 2-core machine stalls for tens of ms now and then: GC, scheduling).
 */
export const deriveTryTimeoutMs = (p999Ms: number): number =>
  Math.max(150, Math.ceil((2 * p999Ms) / 10) * 10);
