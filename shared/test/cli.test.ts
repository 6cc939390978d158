import { describe, expect, it } from 'vitest';
import { parseResultsCli, WRITE_USAGE } from '../src/cli.ts';
import { runScript } from '../src/run-script.ts';

describe('parseResultsCli', () => {
  const options = { rounds: { type: 'string', default: '3' } } as const;

  it('adds --write, false unless given, and keeps the script own flags', () => {
    expect(parseResultsCli('usage', options, [])).toEqual({ rounds: '3', write: false });
    expect(parseResultsCli('usage', options, ['--', '--rounds', '1', '--write'])).toEqual({
      rounds: '1',
      write: true,
    });
  });

  it('--help shows where results go without --write', () => {
    const r = runScript('test/fixtures/results-cli.ts', ['--help'], {
      cwd: new URL('..', import.meta.url).pathname,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(WRITE_USAGE);
    expect(WRITE_USAGE).toContain('results/local/, git-ignored');
  });
});
