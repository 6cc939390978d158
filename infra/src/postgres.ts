import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { serviceDefaults } from '@pocs/shared/config';
import { isExecutable, runCommand, which } from './command.ts';
import type { ServiceContext, ServiceDefinition } from './definition.ts';
import { ServiceStartError } from './errors.ts';
import { checkPostgres } from './health.ts';
import { findOsUser, isRoot, type OsUser } from './os-user.ts';
import { spawnDetached } from './process.ts';

export const POSTGRES_DEFAULT_URL = serviceDefaults.POSTGRES_URL;

/** Debian installs each major version under /usr/lib/postgresql/<major>/bin; newest wins. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.POSTGRES_BIN_DIR && isExecutable(join(env.POSTGRES_BIN_DIR, 'postgres'))) {
    return env.POSTGRES_BIN_DIR;
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const bin = join(root, major, 'bin');
      if (isExecutable(join(bin, 'postgres')) && isExecutable(join(bin, 'initdb'))) return bin;
    }
  }
  const onPath = which('postgres', env);
  return onPath ? join(onPath, '..') : undefined;
}

export function createPostgresService(ctx: ServiceContext): ServiceDefinition {
  const url = ctx.env.POSTGRES_URL || POSTGRES_DEFAULT_URL;
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 5432);
  const user = decodeURIComponent(parsed.username || 'postgres');
  const password = decodeURIComponent(parsed.password || 'postgres');

  // postgres refuses to run as root, so as root we run it as the `postgres` OS user. That user
  // may not be able to enter the clone (mktemp dirs are 0700), so its data lives in its own
  // home, keyed by our state dir so two clones never share a cluster.
  const owner: OsUser | undefined = isRoot() ? findOsUser('postgres') : undefined;
  const stateKey = createHash('sha256').update(ctx.stateDir).digest('hex').slice(0, 12);
  const dataArea = owner
    ? join(owner.home, 'resilience-pocs', stateKey)
    : join(ctx.stateDir, 'cluster');
  const dataDir = join(dataArea, 'data');
  const logFile = join(ctx.stateDir, 'postgres.log');
  const pidFile = join(ctx.stateDir, 'postgres.pid');

  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};

  async function initdb(binDir: string): Promise<void> {
    ctx.log(`initialising a new cluster in ${dataDir}`);
    // Create each level ourselves: a root-owned 0700 parent would lock the postgres user out.
    mkdirSync(dirname(dataArea), { recursive: true, mode: 0o755 });
    mkdirSync(dataArea, { recursive: true, mode: 0o700 });
    if (owner) {
      chownSync(dirname(dataArea), owner.uid, owner.gid);
      chownSync(dataArea, owner.uid, owner.gid);
    }
    // The owner file says which clone a data area belongs to.
    writeFileSync(join(dataArea, 'state-dir'), `${ctx.stateDir}\n`);
    rmSync(dataDir, { recursive: true, force: true }); // a half-finished earlier initdb
    const pwFile = join(dataArea, 'pwfile');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    try {
      const { code, output } = await runCommand(
        join(binDir, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          user,
          `--pwfile=${pwFile}`,
          '--auth-host=scram-sha-256',
          // The socket dir is the 0700 data area, so only postgres (and root) can reach it.
          '--auth-local=trust',
          '-E',
          'UTF8',
          '--locale=C',
        ],
        { ...asOwner, cwd: dataArea, env: { ...process.env, ...ctx.env, LC_ALL: 'C' } },
      );
      appendFileSync(logFile, output);
      if (code !== 0) {
        throw new ServiceStartError(`initdb failed with code ${code}; see ${logFile}`);
      }
    } finally {
      rmSync(pwFile, { force: true });
    }
  }

  return {
    name: 'postgres',
    description: 'PostgreSQL: the relational database behind pool-sizing and idempotency POCs',
    urlEnv: 'POSTGRES_URL',
    url,
    host,
    port,
    startTimeoutMs: 60_000,
    health: () => checkPostgres(url),
    installed: () => findPostgresBinDir(ctx.env) !== undefined,
    installPlan: () => ({
      aptPackages: findPostgresBinDir(ctx.env) ? [] : ['postgresql'],
      steps: [],
    }),
    processes: [{ label: 'postgres', pidFile, logFile, stopSignal: 'SIGINT', stopGraceMs: 30_000 }],
    async start() {
      const binDir = findPostgresBinDir(ctx.env);
      if (!binDir) throw new ServiceStartError('postgres binaries not found');
      if (isRoot() && !owner) {
        throw new ServiceStartError('running as root but there is no `postgres` OS user');
      }
      mkdirSync(ctx.stateDir, { recursive: true });
      if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(binDir);
      return spawnDetached({
        command: join(binDir, 'postgres'),
        args: [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-c',
          `listen_addresses=${host}`,
          '-c',
          `unix_socket_directories=${dataArea}`,
          // The pool-sizing POC opens 130+ connections at once.
          '-c',
          'max_connections=300',
          '-c',
          'shared_buffers=128MB',
        ],
        pidFile,
        logFile,
        cwd: dataArea,
        env: { ...process.env, LC_ALL: 'C' },
        ...asOwner,
      });
    },
  };
}
