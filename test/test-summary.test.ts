import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../scripts/poc-contract.ts';

const dir = await mkdtemp(join(tmpdir(), 'test-summary-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A vitest JSON report with files taking the given seconds. */
async function report(files: Record<string, number>, counts = { passed: 7, failed: 1 }) {
  const path = join(dir, `report-${Math.random()}.json`);
  const testResults = Object.entries(files).map(([file, seconds]) => ({
    name: join(repoRoot, file),
    startTime: 1_000,
    endTime: 1_000 + seconds * 1000,
  }));
  await writeFile(
    path,
    JSON.stringify({
      testResults,
      numPassedTests: counts.passed,
      numFailedTests: counts.failed,
      numPendingTests: 0,
      numTodoTests: 0,
    }),
  );
  return execFileSync(process.execPath, ['scripts/test-summary.mjs', path], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
}

describe('scripts/test-summary.mjs', () => {
  it('lists the slowest files, POC totals against the 60 s budget, then the closing line', async () => {
    const out = await report({
      'pocs/poc-71-pool-sizing/test/a.test.ts': 50,
      'pocs/poc-71-pool-sizing/test/b.test.ts': 20.5,
      'pocs/poc-72-connection-leak/test/a.test.ts': 30,
      'shared/test/x.test.ts': 100,
      'test/poc-contract.test.ts': 2,
    });
    const lines = out.trim().split('\n');
    expect(lines).toContain('Slowest test files (of 5, 203 s in all):');
    expect(lines.indexOf('    100.0 s  shared/test/x.test.ts')).toBeLessThan(
      lines.indexOf('     50.0 s  pocs/poc-71-pool-sizing/test/a.test.ts'),
    );
    expect(lines).toContain(
      'POC tests: 2 POCs, 101 s in all, 50 s each on average (budget 60 s each)',
    );
    expect(lines).toContain('  over budget: pocs/poc-71-pool-sizing 70.5 s');
    expect(out).not.toContain('over budget: pocs/poc-72');
    expect(lines.at(-1)).toBe('7 passed, 1 failed');
  });
});
