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
  it('--help prints every knob and exits 0 without touching Kafka', () => {
    const r = breakScript('--help');
    expect(r.status).toBe(0);
    for (const flag of [
      '--events',
      '--kill-after',
      '--seed',
      '--grace-ms',
      '--alos-commit-ms',
      '--port',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('Hypothesis');
  });

  it('refuses a kill point past the end of the input (exit 2)', () => {
    const r = breakScript('--events', '100', '--kill-after', '100');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--kill-after must be below --events (100)');
  });
});
