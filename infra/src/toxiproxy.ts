import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDefaults } from '@pocs/shared/config';
import { isExecutable, runCommand, which, withProgress } from './command.ts';
import type { ServiceContext, ServiceDefinition } from './definition.ts';
import { InstallError, ServiceStartError } from './errors.ts';
import { checkToxiproxy } from './health.ts';
import { spawnDetached } from './process.ts';
import { TOXIPROXY_VERSION } from './versions.ts';

export const TOXIPROXY_DEFAULT_URL = serviceDefaults.TOXIPROXY_URL;
// The server's package is cmd/server; go install names the binary `server`, we rename it.
const MODULE = 'github.com/Shopify/toxiproxy/v2';
const SERVER_PACKAGE = `${MODULE}/cmd/server`;

export const toxiproxyBinDir = (cacheRoot: string): string =>
  join(cacheRoot, `toxiproxy-${TOXIPROXY_VERSION}`, 'bin');

export function createToxiproxyService(ctx: ServiceContext): ServiceDefinition {
  const url = ctx.env.TOXIPROXY_URL || TOXIPROXY_DEFAULT_URL;
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 8474);
  const logFile = join(ctx.stateDir, 'toxiproxy.log');
  const pidFile = join(ctx.stateDir, 'toxiproxy.pid');
  const cached = join(toxiproxyBinDir(ctx.cacheRoot), 'toxiproxy-server');
  const binary = () => (isExecutable(cached) ? cached : which('toxiproxy-server', ctx.env));

  async function goInstall(): Promise<void> {
    const go = which('go', ctx.env);
    if (!go) {
      throw new InstallError(
        'toxiproxy needs Go >= 1.22 to build (https://go.dev/dl/); install it and re-run',
      );
    }
    ctx.log(`building toxiproxy-server ${TOXIPROXY_VERSION} with go install (first time ~1 min)`);
    const bin = toxiproxyBinDir(ctx.cacheRoot);
    const staging = `${bin}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const startedMs = Date.now();
    const ldflags = `-s -w -X ${MODULE}.Version=${TOXIPROXY_VERSION.replace(/^v/, '')}`;
    const { code, output } = await withProgress(
      runCommand(go, ['install', `-ldflags=${ldflags}`, `${SERVER_PACKAGE}@${TOXIPROXY_VERSION}`], {
        env: { ...process.env, ...ctx.env, GOBIN: staging, CGO_ENABLED: '0' },
      }),
      (s) => ctx.log(`still building (${s} s)`),
    );
    const built = join(staging, 'server');
    if (code !== 0 || !existsSync(built)) {
      throw new InstallError(
        `go install ${SERVER_PACKAGE} failed (code ${code}):\n${output.trim()}`,
      );
    }
    mkdirSync(bin, { recursive: true });
    renameSync(built, cached);
    rmSync(staging, { recursive: true, force: true });
    ctx.log(`installed ${cached} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
  }

  return {
    name: 'toxiproxy',
    description:
      'Toxiproxy: a TCP proxy whose API adds latency, timeouts and cuts between services',
    urlEnv: 'TOXIPROXY_URL',
    url,
    host,
    port,
    startTimeoutMs: 15_000,
    health: () => checkToxiproxy(url),
    installed: () => binary() !== undefined,
    installPlan: () => ({
      aptPackages: [],
      steps: binary()
        ? []
        : [{ label: `go install toxiproxy ${TOXIPROXY_VERSION}`, run: goInstall }],
    }),
    processes: [
      { label: 'toxiproxy', pidFile, logFile, stopSignal: 'SIGTERM', stopGraceMs: 10_000 },
    ],
    async start() {
      const command = binary();
      if (!command) throw new ServiceStartError('toxiproxy-server not found');
      mkdirSync(ctx.stateDir, { recursive: true });
      return spawnDetached({
        command,
        args: ['-host', host, '-port', String(port)],
        pidFile,
        logFile,
        cwd: ctx.stateDir,
      });
    },
  };
}
