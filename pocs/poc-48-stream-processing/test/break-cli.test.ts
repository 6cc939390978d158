import { fileURLToPath } from 'node:url';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';

const breakScript = (...args: string[]) =>
  runScript('scripts/break.ts', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) });

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
