import { fileURLToPath } from 'node:url';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';

const breakScript = (...args: string[]) =>
  runScript('scripts/break.ts', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) });

describe('break script flags', () => {
  it('--help prints every knob and exits 0 without running anything', () => {
    const r = breakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--scenario', '--orders', '--redeliveries', '--copies', '--redis-port'])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('refuses to use the shared Redis port for the restart scenario (exit 2)', () => {
    const r = breakScript('--redis-port', '6379');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('shared Redis');
  });

  it('names a bad scenario and the choices (exit 2)', () => {
    const r = breakScript('--scenario', 'chaos');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--scenario must be one of redeliver, race, restart, all');
  });
});
