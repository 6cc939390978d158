import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';

/** The processor's Prometheus metrics; `openWindows` is read at scrape time. */
export function createProcessorMetrics(registry: Registry, openWindows: () => number) {
  const metrics = {
    processed: new Counter({
      name: 'stream_events_processed_total',
      help: 'Input events taken by this process, by outcome (counted, late_dropped, poison)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    changelog: new Counter({
      name: 'stream_changelog_records_written_total',
      help: 'Records written to the changelog topic (updates, tombstones, partition meta)',
      registers: [registry],
    }),
    emitted: new Counter({
      name: 'stream_windows_emitted_total',
      help: 'Final window results written to the output topic',
      registers: [registry],
    }),
    commits: new Counter({
      name: 'stream_commits_total',
      help: 'Commits, by kind (transaction, offsets)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    restarts: new Counter({
      name: 'stream_task_restarts_total',
      help: 'Stream tasks thrown away after a failed or overdue commit or a consumer crash, and restored from the changelog',
      registers: [registry],
    }),
    restoreSeconds: new Gauge({
      name: 'stream_restore_duration_seconds',
      help: 'Time the last start spent restoring state from the changelog, in seconds',
      registers: [registry],
    }),
    restoreRecords: new Gauge({
      name: 'stream_restore_records',
      help: 'Changelog records read by the last restore',
      registers: [registry],
    }),
  };
  new Gauge({
    name: 'stream_open_windows',
    help: 'Windows held in state (not yet closed and emitted)',
    registers: [registry],
    collect() {
      this.set(openWindows());
    },
  });
  return metrics;
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;
