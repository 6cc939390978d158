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

describe('break script flags', () => {
  it('--help prints every knob and exits 0 without running anything', () => {
    const r = breakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--messages', '--kills', '--broker-kill', '--tx-messages', '--port'])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('rejects a bad --broker-kill (exit 2)', () => {
    const r = breakScript('--broker-kill', 'yes');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--broker-kill must be 0 or 1');
  });
});
