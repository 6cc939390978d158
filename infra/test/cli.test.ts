import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '@pocs/shared/run-script';
import { describe, expect, it } from 'vitest';
import { infraDir, repoRoot } from '../src/paths.ts';

const cli = (...args: string[]) =>
  runScript(join(infraDir, 'src', 'cli.ts'), args, { cwd: repoRoot });

// Redis pointed at a port nothing listens on, with an empty state folder (no pid files):
// a service that is down, whatever runs on this machine.
const redisDown = (...args: string[]) =>
  runScript(join(infraDir, 'src', 'cli.ts'), args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      REDIS_URL: 'redis://127.0.0.1:1',
      SERVICES_STATE_DIR: mkdtempSync(join(tmpdir(), 'status-')),
    },
  });

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

  it('status is a report: exit 0 with a service down, a row for every service', () => {
    const result = redisDown('status');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^redis\s+down\b/m);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/)[0]);
    expect(rows).toEqual(['postgres', 'redis', 'kafka', 'kafka-cluster', 'rabbitmq', 'toxiproxy']);
  });

  it('status --check exits 1 when a named service is down', () => {
    const result = redisDown('status', '--check', 'redis');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^redis\s+down\b/m);
  });
});
