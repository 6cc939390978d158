import { fileURLToPath } from 'node:url';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';

const breakScript = (...args: string[]) =>
  runScript('scripts/break.ts', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) });

// The experiment itself is what broker-restart.test.ts runs (same function, port 9146).
describe('break script flags', () => {
  it('--help prints every knob and exits 0 without starting anything', () => {
    const r = breakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--twins', '--port', '--down-ms', '--clients', '--produce-timeout-ms'])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('refuses a shared broker port (exit 2): it would stop a broker that is not its own', () => {
    const r = breakScript('--port', '9092');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('shared broker');
  });

  it('names a bad twin and the choices (exit 2)', () => {
    const r = breakScript('--twins', 'fixed,chaos');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('fixed, ack-before-send, no-unique');
  });
});
