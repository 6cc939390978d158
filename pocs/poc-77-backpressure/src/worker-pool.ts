/**
 * A consumer with a fixed capacity: `workers` jobs run at once, each for `serviceMs`;
 * the rest wait in a FIFO array that has no bound of its own. Whoever admits jobs decides
 * how long that array can get: that is the whole lesson.
 */
export interface WorkerPool {
  /**
   * Run one job; resolves when it is done. `onStart` hears how long it waited for a
   * worker (ms), the moment a worker takes it.
   */
  run: (onStart?: (waitedMs: number) => void) => Promise<void>;
  /** Jobs waiting for a worker. */
  readonly queued: number;
  /** Jobs running now. */
  readonly busy: number;
}

export function createWorkerPool({
  workers,
  serviceMs,
}: {
  workers: number;
  serviceMs: number;
}): WorkerPool {
  interface Job {
    enqueuedAt: number;
    onStart?: (waitedMs: number) => void;
    done: () => void;
  }
  const waiting: Job[] = [];
  let busy = 0;
  const start = (job: Job) => {
    busy++;
    job.onStart?.(performance.now() - job.enqueuedAt);
    setTimeout(() => {
      busy--;
      job.done();
      const next = waiting.shift();
      if (next) start(next);
    }, serviceMs);
  };
  return {
    run: (onStart) =>
      new Promise<void>((resolve) => {
        const job: Job = { enqueuedAt: performance.now(), onStart, done: resolve };
        if (busy < workers) start(job);
        else waiting.push(job);
      }),
    get queued() {
      return waiting.length;
    },
    get busy() {
      return busy;
    },
  };
}
