import { readFileSync } from 'node:fs';
import { sleep } from '@pocs/shared/wait';

// The load tests compare two pools at a fixed request rate on a 2-core box. Run right after a
// heavy test (brokers still replicating and deleting what it wrote), the rule-of-thumb pool can
// time out too, for reasons that have nothing to do with its size. Start once the CPUs are
// mostly idle (bounded: after `timeoutMs` it runs anyway and the numbers speak).

function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const values = fields.map(Number);
  // idle + iowait
  return { idle: (values[3] ?? 0) + (values[4] ?? 0), total: values.reduce((a, b) => a + b, 0) };
}

/** Resolve once one 500 ms sample shows at least `minIdle` of the CPU time idle. */
export async function waitForQuietMachine({ minIdle = 0.8, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = cpuTimes();
    await sleep(500);
    const after = cpuTimes();
    const idle = (after.idle - before.idle) / Math.max(1, after.total - before.total);
    if (idle >= minIdle) return idle;
  }
  return undefined;
}
