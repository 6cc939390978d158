import { describe, expect, it } from 'vitest';
import { createServices, DEFAULT_SERVICE_NAMES, ensureUp } from '../src/services.ts';

// Assumes `pnpm services up` ran before the tests (CI does it); if not, ensureUp starts them.

describe('shared services', () => {
  it('ensureUp reuses what is already running instead of starting a second copy', async () => {
    const results = await ensureUp();
    expect(results.map((r) => r.name)).toEqual([...DEFAULT_SERVICE_NAMES]);
    for (const r of results)
      expect(['running', 'reused', 'docker', 'started']).toContain(r.outcome);
    const again = await ensureUp();
    for (const r of again) expect(r.outcome).not.toBe('started');
  });

  it('status reports every service up, with a pid when we started it natively', async () => {
    const statuses = await createServices().status();
    for (const s of statuses) {
      expect(s, s.name).toMatchObject({ state: 'up' });
      if (s.mode === 'native') expect(s.pid).toBeGreaterThan(1);
    }
  });
});
