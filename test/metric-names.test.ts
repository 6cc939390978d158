import { createHttpDurationHistogram, createRegistry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { describe, expect, it } from 'vitest';
import { checkRepo, formatProblem, metricSourceDirs } from '../scripts/metric-names.ts';

// The naming rule of docs/poc-contract.md, "Metrics", over every metric the repo defines.
const repo = await checkRepo();

describe('every metric follows the naming rule', () => {
  it('scans every package that can define metrics', async () => {
    const dirs = await metricSourceDirs();
    expect(dirs).toEqual(expect.arrayContaining(['shared/src', 'templates/poc/src']));
    expect(dirs.filter((d) => d.startsWith('pocs/')).length).toBeGreaterThanOrEqual(12);
    const files = new Set(repo.definitions.map((d) => d.file));
    expect(files).toContain('shared/src/pool-metrics.ts');
    expect(files).toContain('pocs/poc-77-backpressure/src/app.ts');
  });

  it('finds no broken rule (file:line metric: rule)', () => {
    expect(repo.problems.map(formatProblem)).toEqual([]);
  });
});

describe('the scan sees what a real registry holds', () => {
  it("shared's metrics, as registered, are the ones the scan of shared/src found", async () => {
    const registry = createRegistry({ defaultMetrics: false });
    createHttpDurationHistogram(registry);
    // pg connects lazily: this pool never opens a connection.
    const pool = createPool({
      connectionString: 'postgres://unused@127.0.0.1:1/unused',
      max: 1,
      acquireTimeoutMs: 1,
    });
    try {
      registerPoolMetrics(pool, registry);
      const registered = (await registry.getMetricsAsJSON())
        .map((m) => ({ name: m.name, type: String(m.type), help: m.help }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const scanned = repo.definitions
        .filter((d) => d.file.startsWith('shared/src/'))
        .map((d) => ({ name: d.name, type: d.type, help: d.help }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(registered).toEqual(scanned);
    } finally {
      await pool.end();
    }
  });
});
