import { fileURLToPath } from 'node:url';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';

const breakScript = (...args: string[]) =>
  runScript('scripts/break.ts', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) });

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
