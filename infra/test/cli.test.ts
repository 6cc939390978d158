import { join } from 'node:path';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';
import { infraDir, repoRoot } from '../src/paths.ts';

const cli = (...args: string[]) =>
  runScript(join(infraDir, 'src', 'cli.ts'), args, { cwd: repoRoot });

describe('cli', () => {
  it('prints usage for --help and exits 0', () => {
    const result = cli('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: pnpm services <command>');
  });

  it('prints command help for <command> --help', () => {
    const result = cli('up', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('KAFKA_BROKERS');
  });

  it('exits 2 with one clear line for an unknown command', () => {
    const result = cli('restart');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command 'restart'");
  });

  it('exits 2 for an unknown service', () => {
    const result = cli('status', 'mongodb');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown service 'mongodb'");
  });
});
