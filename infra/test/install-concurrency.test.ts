import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installServices } from '../src/install.ts';
import { kafkaHome, kafkaLibsDir } from '../src/kafka.ts';
import { cacheRootFrom, infraDir, repoRoot } from '../src/paths.ts';
import { createServices } from '../src/services.ts';

// `kafka` and `kafka-cluster` fetch the same jars into the same folder. On an empty cache, two
// installs at once (in one process, and in two) used to race on one `libs.partial` folder:
// ENOENT on rename, or mvn failing to copy a jar the other had just deleted. Maven's own
// repository (~/.m2) stays warm, so each fetch is a copy, not a download.

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function emptyCacheEnv(): NodeJS.ProcessEnv {
  const root = mkdtempSync(join(tmpdir(), 'install-race-'));
  tempDirs.push(root);
  return {
    ...process.env,
    XDG_CACHE_HOME: join(root, 'cache'),
    SERVICES_STATE_DIR: join(root, 'state'),
    SERVICES_RUNTIME: 'native',
  };
}

/** Nothing half-done may be left beside the libs folder. */
function leftovers(env: NodeJS.ProcessEnv): string[] {
  return readdirSync(kafkaHome(cacheRootFrom(env))).filter(
    (f) => f.includes('.partial') || f.endsWith('.lock'),
  );
}

function runInstall(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(infraDir, 'src', 'cli.ts'), 'install', 'kafka'],
      { cwd: repoRoot, env },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('installing the Kafka jars concurrently on an empty cache', () => {
  it('kafka and kafka-cluster in one install both succeed and fetch once', async () => {
    const env = emptyCacheEnv();
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const results = await installServices(
      createServices({ env, log }),
      ['kafka', 'kafka-cluster'],
      {
        env,
        log,
      },
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['kafka', true],
      ['kafka-cluster', true],
    ]);
    expect(lines.filter((l) => l.includes('fetching Kafka'))).toHaveLength(1);
    expect(existsSync(kafkaLibsDir(cacheRootFrom(env)))).toBe(true);
    expect(leftovers(env)).toEqual([]);
  }, 180_000);

  it('two install processes at once both exit 0 and leave one complete libs folder', async () => {
    const env = emptyCacheEnv();
    const [a, b] = await Promise.all([runInstall(env), runInstall(env)]);
    expect([a.code, b.code], `${a.output}\n---\n${b.output}`).toEqual([0, 0]);
    const fetched = [a, b].filter((r) => r.output.includes('fetched jars in'));
    expect(fetched).toHaveLength(1);
    expect(leftovers(env)).toEqual([]);
  }, 180_000);
});
