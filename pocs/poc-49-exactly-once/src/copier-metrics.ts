import { Counter, Histogram, latencyBucketsSeconds, type Registry } from '@pocs/shared/metrics';
import type { CopyMode } from './config.ts';

export type CopierMetrics = ReturnType<typeof createCopierMetrics>;

/** The copier's Prometheus metrics; labels are bounded (two modes, two outcomes). */
export function createCopierMetrics(registry: Registry, mode: CopyMode) {
  const sent = new Counter({
    name: 'copier_messages_sent_total',
    help: 'Messages written to the output topic (committed or not), by copy mode',
    labelNames: ['mode'],
    registers: [registry],
  });
  const committed = new Counter({
    name: 'copier_messages_committed_total',
    help: 'Messages whose input offset was committed (in a transaction, or by an offset commit), by copy mode',
    labelNames: ['mode'],
    registers: [registry],
  });
  const transactions = new Counter({
    name: 'copier_transactions_total',
    help: "Transactions ended by this process, by result (committed; a crashed copier's open transaction is aborted by the next one)",
    labelNames: ['result'],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'copier_commit_duration_seconds',
    help: 'Time from the first send of a batch until its offsets are committed, in seconds',
    labelNames: ['mode'],
    buckets: latencyBucketsSeconds,
    registers: [registry],
  });
  const fenced = new Counter({
    name: 'copier_fenced_total',
    help: 'Times this copier found a newer producer with its transactional.id and stopped',
    registers: [registry],
  });
  return {
    sent: (n: number) => sent.inc({ mode }, n),
    committed: (n: number) => committed.inc({ mode }, n),
    transaction: (result: 'committed' | 'aborted') => transactions.inc({ result }),
    commitSeconds: (s: number) => commitSeconds.observe({ mode }, s),
    fenced: () => fenced.inc(),
  };
}
