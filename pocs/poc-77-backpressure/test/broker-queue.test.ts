import { serviceDefaults } from '@pocs/shared/config';
import { isDeadlineExceededError } from '@pocs/shared/deadline';
import { sleep } from '@pocs/shared/wait';
import { describe, expect, it } from 'vitest';
import { type BrokerQueue, createBrokerQueue, isJobFailedError } from '../src/broker-queue.ts';

// The wait for a job's result is bounded: before, a job that threw left its request waiting
// forever (the message was nacked, nothing answered), and so did a job that never ran.
const rabbitmqUrl = process.env.RABBITMQ_URL ?? serviceDefaults.RABBITMQ_URL;

async function withQueue(
  work: (task: string) => Promise<void>,
  jobTimeoutMs: number,
  run: (queue: BrokerQueue) => Promise<void>,
) {
  const queue = await createBrokerQueue({
    url: rabbitmqUrl,
    maxLength: 8,
    prefetch: 2,
    jobTimeoutMs,
    work: (task) => work(task),
  });
  try {
    await run(queue);
  } finally {
    await queue.close();
  }
}

async function outcomes(queue: BrokerQueue, tasks: string[]) {
  const settled = await Promise.allSettled(
    tasks.map(async (task) => {
      const sent = await queue.submit(task);
      if (!sent.accepted) throw new Error('refused');
      await sent.done;
    }),
  );
  const reasons = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
  return {
    ok: settled.filter((s) => s.status === 'fulfilled').length,
    failed: reasons.filter(isJobFailedError).length,
    timedOut: reasons.filter(isDeadlineExceededError).length,
    other: reasons.filter((r) => !isJobFailedError(r) && !isDeadlineExceededError(r)).length,
  };
}

describe('createBrokerQueue: every wait for a result ends', () => {
  it('a job that throws rejects its wait with JobFailedError; the others succeed', async () => {
    await withQueue(
      async (task) => {
        if (task.startsWith('bad')) throw new Error('boom');
      },
      5_000,
      async (queue) => {
        const r = await outcomes(queue, ['bad-1', 'good-1', 'bad-2', 'good-2']);
        expect(r).toEqual({ ok: 2, failed: 2, timedOut: 0, other: 0 });
        expect(queue.pending).toBe(0);
      },
    );
  });

  it('a job slower than jobTimeoutMs rejects with DeadlineExceededError, and nothing stays pending', async () => {
    await withQueue(
      async (task) => {
        if (task.startsWith('slow')) await sleep(3_000);
      },
      1_000,
      async (queue) => {
        const r = await outcomes(queue, ['slow-1', 'fast-1']);
        expect(r).toEqual({ ok: 1, failed: 0, timedOut: 1, other: 0 });
        expect(queue.pending).toBe(0);
      },
    );
  });
});
