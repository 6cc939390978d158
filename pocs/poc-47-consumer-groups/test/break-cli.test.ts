import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const breakScript = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/break.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });

// The experiment itself is asserted by failover.test.ts and slow-consumer.test.ts, which
// run the same functions the script runs.
describe('break script flags', () => {
  it('--help lists every knob and exits 0 without running anything', () => {
    const r = breakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--scenario', '--session-ms', '--consumers', '--slow-ms', '--observe-s'])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('names a bad scenario and refuses a session timeout the broker would reject (exit 2)', () => {
    const bad = breakScript('--scenario', 'chaos');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--scenario must be one of kill, slow, all');
    const short = breakScript('--session-ms', '1000');
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('--session-ms must be a whole number ≥ 6000');
  });
});
