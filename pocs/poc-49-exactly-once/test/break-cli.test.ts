import { fileURLToPath } from 'node:url';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const breakScript = (...args: string[]) => runScript('scripts/break.ts', args, { cwd });
const soakScript = (...args: string[]) => runScript('scripts/soak.ts', args, { cwd });

describe('break script flags', () => {
  it('--help prints every knob and exits 0 without running anything', () => {
    const r = breakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of [
      '--messages',
      '--kills',
      '--broker-kill',
      '--tx-messages',
      '--port',
      '--write',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('rejects a bad --broker-kill (exit 2)', () => {
    const r = breakScript('--broker-kill', 'yes');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--broker-kill must be 0 or 1');
  });
});

describe('soak script flags', () => {
  it('--help prints every knob and exits 0 without running anything', () => {
    const r = soakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--runs', '--port', '--write']) expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('rejects a bad --runs (exit 2)', () => {
    const r = soakScript('--runs', '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--runs must be a whole number ≥ 1, got "0"');
  });
});
