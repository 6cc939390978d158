#!/usr/bin/env -S node --import tsx
import { serviceDefaults } from '@pocs/shared/config';
import { DEFAULT_SERVICE_NAMES, SERVICE_NAMES } from './definition.ts';
import { isUsageError, UsageError } from './errors.ts';
import { installServices } from './install.ts';
import { createServices, displayPath, redactUrl, type UpResult } from './services.ts';

const COMMANDS = ['install', 'up', 'down', 'status', 'logs'] as const;
type Command = (typeof COMMANDS)[number];

const SERVICES_LINE = `Services: ${SERVICE_NAMES.join(', ')}
(default: ${DEFAULT_SERVICE_NAMES.join(', ')}; kafka-cluster is opt-in because its first
broker takes kafka's port 9092: with the cluster up, 'kafka' is reused)`;

const HELP: Record<Command | 'main', string> = {
  main: `Usage: pnpm services <command> [service...]

Real services for the POCs. 'up' reuses whatever already answers at the configured URL,
else uses Docker Compose (infra/compose/<name>.yml) when a Docker engine answers, else starts
native processes with pid files and logs under .services/<name>/.

Commands:
  install [service...]   install missing binaries (apt-get, Maven Central, go install)
  up [service...]        start services and wait until their health check passes
  down [service...]      stop what 'up' started; reused services are left alone
  status [service...]    one line per service: up/down, how it runs, pid, URL
  logs [service...]      print the tail of each service's log (-n <lines>, default 50)

${SERVICES_LINE}
Run 'pnpm services <command> --help' for details.`,
  install: `Usage: pnpm services install [service...]

Install what 'up' needs to run services natively; anything present is skipped.
  postgres, redis, rabbitmq   Debian packages via apt-get install --no-install-recommends
  kafka, kafka-cluster        broker jars from Maven Central (mvn, infra/kafka/pom.xml) into
                              \${XDG_CACHE_HOME:-~/.cache}/resilience-pocs/kafka-<version>/libs
  toxiproxy                   go install toxiproxy-server into the same cache folder
When a Docker engine answers nothing is installed ('up' uses Compose instead).

${SERVICES_LINE}`,
  up: `Usage: pnpm services up [service...]

For each service: reuse it if it already passes its health check at the configured URL;
else 'docker compose -f infra/compose/<name>.yml up -d' if a Docker engine answers; else
start it natively (detached, own process group) and wait for a real health check.

Environment (defaults are the ports every POC config uses, from @pocs/shared/config):
  POSTGRES_URL      ${serviceDefaults.POSTGRES_URL}
  REDIS_URL         ${serviceDefaults.REDIS_URL}
  KAFKA_BROKERS     ${serviceDefaults.KAFKA_BROKERS} (controller on port + 10000)
  KAFKA_ADVERTISED_LISTENER  host:port the single broker advertises (e.g. a toxiproxy
                    listener, so every client connection goes through the proxy)
  KAFKA_CLUSTER_BROKERS  ${serviceDefaults.KAFKA_CLUSTER_BROKERS} (3 KRaft nodes,
                    replication factor 3, min.insync.replicas 2)
  RABBITMQ_URL      ${serviceDefaults.RABBITMQ_URL}
  TOXIPROXY_URL     ${serviceDefaults.TOXIPROXY_URL}
  SERVICES_RUNTIME  auto | native | docker (default auto)
  SERVICES_STATE_DIR  state folder (default <repo>/.services)

One node of kafka-cluster (the others keep running):
  pnpm services up kafka-cluster --node 2     start node 2 again, wait until it answers on
                                              its own port and sees every node

${SERVICES_LINE}`,
  down: `Usage: pnpm services down [service...]

Stop what 'up' started (no names: every service, kafka-cluster included), by its pid files:
a graceful signal first (SIGINT for postgres, SIGTERM for the others), SIGKILL to the whole
process group after a deadline. Services that
were reused (already running when 'up' ran) are left alone. Compose services get 'compose down'.

One node of kafka-cluster (by its pid file; the others keep running):
  pnpm services down kafka-cluster --node 2                    clean shutdown (SIGTERM)
  pnpm services down kafka-cluster --node 2 --signal SIGKILL   a crash

${SERVICES_LINE}`,
  status: `Usage: pnpm services status [--check] [service...]

One line per service: up/down/unhealthy, how it runs (native, docker, reused), pid, URL.
No names: every service, kafka-cluster included. A report exits 0 whatever it finds;
with --check (for scripts) it exits 1 if any selected service is not up.

${SERVICES_LINE}`,
  logs: `Usage: pnpm services logs [-n <lines>] [service...]

Print the last lines (default 50) of each service's log file under .services/<name>/.

${SERVICES_LINE}`,
};

interface ParsedArgs {
  command?: Command;
  names: string[];
  help: boolean;
  lines: number;
  node?: number;
  signal?: NodeJS.Signals;
  check: boolean;
}

const NODE_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGKILL'] as const;

export function parseArgs(argv: string[]): ParsedArgs {
  const parsed: ParsedArgs = { names: [], help: false, lines: 50, check: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--check') parsed.check = true;
    else if (arg === '-n' || arg === '--lines') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value <= 0)
        throw new UsageError(`${arg} needs a positive number`);
      parsed.lines = value;
    } else if (arg === '--node') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value <= 0)
        throw new UsageError('--node needs a node number (1, 2, 3)');
      parsed.node = value;
    } else if (arg === '--signal') {
      const value = argv[++i]?.toUpperCase() ?? '';
      const signal = (value.startsWith('SIG') ? value : `SIG${value}`) as NodeJS.Signals;
      if (!(NODE_SIGNALS as readonly string[]).includes(signal))
        throw new UsageError(`--signal must be one of ${NODE_SIGNALS.join(', ')}`);
      parsed.signal = signal;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
    else rest.push(arg);
  }
  const [command, ...names] = rest;
  if (command !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(command)) {
      throw new UsageError(`unknown command '${command}' (commands: ${COMMANDS.join(', ')})`);
    }
    parsed.command = command as Command;
  }
  parsed.names = names;
  if (parsed.node !== undefined) {
    if (parsed.command !== 'up' && parsed.command !== 'down')
      throw new UsageError('--node works with up and down');
    if (names.length !== 1) throw new UsageError('--node needs exactly one service name');
  }
  if (parsed.signal !== undefined && parsed.node === undefined)
    throw new UsageError('--signal needs --node');
  if (parsed.check && parsed.command !== 'status')
    throw new UsageError('--check works with status');
  return parsed;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pad = (name: string) => name.padEnd(13);

function upLine(r: UpResult, listen: string): string {
  const url = redactUrl(r.url);
  const where = url === listen ? `on ${listen}` : `on ${listen} (${url})`;
  const log = r.logFile ? `, log ${displayPath(r.logFile)}` : '';
  switch (r.outcome) {
    case 'started':
      return `${pad(r.name)} started natively in ${seconds(r.elapsedMs)}, pid ${r.pid}, ${where}${log}`;
    case 'running':
      return `${pad(r.name)} already running (native, pid ${r.pid}) ${where}${log}`;
    case 'reused':
      return `${pad(r.name)} reused: something not started by us already answers ${where}; down leaves it alone`;
    case 'docker':
      return `${pad(r.name)} running in Docker Compose ${where} after ${seconds(r.elapsedMs)}`;
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help || !args.command) {
    const text = HELP[args.command ?? 'main'];
    if (args.help) {
      console.log(text);
      return 0;
    }
    console.error(text);
    return 2;
  }
  const log = (line: string) => console.log(line);
  const services = createServices({ log });
  let failed = false;
  const fail = (message: string) => {
    failed = true;
    console.error(message);
  };

  if (args.node !== undefined) {
    const [name] = args.names as [string];
    const r =
      args.command === 'up'
        ? await services.upNode(name, args.node)
        : await services.downNode(name, args.node, args.signal);
    const pid = r.pid === undefined ? '' : ` (pid ${r.pid})`;
    log(`${name} node ${r.nodeId} ${r.outcome}${pid} in ${seconds(r.elapsedMs)}`);
    return 0;
  }

  switch (args.command) {
    case 'install': {
      const startedMs = Date.now();
      for (const r of await installServices(services, args.names, { log })) {
        if (!r.ok) fail(`${pad(r.name)} install failed: ${r.error.message}`);
        else if (r.value.outcome === 'installed')
          log(`${pad(r.name)} installed (${seconds(r.value.elapsedMs)})`);
        else if (r.value.outcome === 'present') log(`${pad(r.name)} present`);
        else log(`${pad(r.name)} skipped (Docker engine answers)`);
      }
      log(`install finished in ${seconds(Date.now() - startedMs)}`);
      break;
    }
    case 'up': {
      const startedMs = Date.now();
      for (const r of await services.up(args.names)) {
        const def = services.get(r.name);
        if (r.ok) log(upLine(r.value, `${def.host}:${def.port}`));
        else
          fail(
            r.error.message.startsWith(r.name) ? r.error.message : `${r.name}: ${r.error.message}`,
          );
      }
      log(`up finished in ${seconds(Date.now() - startedMs)}`);
      break;
    }
    case 'down':
      for (const r of await services.down(args.names)) {
        if (!r.ok) fail(`${pad(r.name)} stop failed: ${r.error.message}`);
        else if (r.value.outcome === 'left-alone')
          log(`${pad(r.name)} left alone (not started by 'up')`);
        else if (r.value.outcome === 'not-running') log(`${pad(r.name)} not running`);
        else if (r.value.outcome === 'docker-down') log(`${pad(r.name)} docker compose down`);
        else log(`${pad(r.name)} ${r.value.outcome} (pid ${r.value.pids.join(', ')})`);
      }
      break;
    case 'status':
      // A report of everything, the opt-in cluster too, unless names narrow it.
      for (const s of await services.status(args.names.length > 0 ? args.names : SERVICE_NAMES)) {
        const pid = s.pid === undefined ? '-' : String(s.pid);
        const line = `${pad(s.name)} ${s.state.padEnd(9)} ${s.mode.padEnd(6)} pid ${pid.padEnd(7)} ${redactUrl(s.url)}`;
        log(s.state === 'up' || !s.error ? line : `${line}  (${s.error})`);
        if (s.state !== 'up' && args.check) failed = true;
      }
      break;
    case 'logs':
      for (const { name, text } of await services.logs(args.names, args.lines)) {
        log(`=== ${name} ===\n${text}\n`);
      }
      break;
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isUsageError(err)) {
      console.error(`error: ${err.message}\nRun 'pnpm services --help' for usage.`);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
