/**
 * A consumer with a fixed capacity: `workers` jobs run at once, each for `serviceMs`;
 * the rest wait in a FIFO array that has no bound of its own. Whoever admits jobs decides
 * how long that array can get: that is the whole lesson.
 */
export interface WorkerPool {
  run: () => Promise<void>;
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
  const waiting: (() => void)[] = [];
  let busy = 0;
  const start = (done: () => void) => {
    busy++;
    setTimeout(() => {
      busy--;
      done();
      const next = waiting.shift();
      if (next) start(next);
    }, serviceMs);
  };
  return {
    run: () =>
      new Promise<void>((resolve) => {
        if (busy < workers) start(resolve);
        else waiting.push(resolve);
      }),
    get queued() {
      return waiting.length;
    },
    get busy() {
      return busy;
    },
  };
}
