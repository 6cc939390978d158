import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDefaults } from '@pocs/shared/config';
import { which } from './command.ts';
import type { ServiceContext, ServiceDefinition } from './definition.ts';
import { ServiceStartError } from './errors.ts';
import { checkRedis } from './health.ts';
import { spawnDetached } from './process.ts';

export const REDIS_DEFAULT_URL = serviceDefaults.REDIS_URL;

export function createRedisService(ctx: ServiceContext): ServiceDefinition {
  const url = ctx.env.REDIS_URL || REDIS_DEFAULT_URL;
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  const logFile = join(ctx.stateDir, 'redis.log');
  const pidFile = join(ctx.stateDir, 'redis.pid');
  const binary = () => which('redis-server', ctx.env);

  return {
    name: 'redis',
    description: 'Redis: cache, rate limiter and lock store',
    urlEnv: 'REDIS_URL',
    url,
    host,
    port,
    startTimeoutMs: 15_000,
    health: () => checkRedis(url),
    installed: () => binary() !== undefined,
    installPlan: () => ({ aptPackages: binary() ? [] : ['redis-server'], steps: [] }),
    processes: [{ label: 'redis', pidFile, logFile, stopSignal: 'SIGTERM', stopGraceMs: 10_000 }],
    async start() {
      const command = binary();
      if (!command) throw new ServiceStartError('redis-server not found');
      mkdirSync(ctx.stateDir, { recursive: true });
      return spawnDetached({
        command,
        // A lab cache: nothing is persisted, so every start is empty and fast.
        args: [
          '--bind',
          host,
          '--port',
          String(port),
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          ctx.stateDir,
          '--daemonize',
          'no',
        ],
        pidFile,
        logFile,
        cwd: ctx.stateDir,
      });
    },
  };
}
