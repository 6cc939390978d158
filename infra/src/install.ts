import { readdirSync } from 'node:fs';
import { runCommand, which } from './command.ts';
import type { ServiceName } from './definition.ts';
import { chooseRuntime } from './docker.ts';
import { InstallError } from './errors.ts';
import { isRoot } from './os-user.ts';
import { resolveNames, type Services, type Settled } from './services.ts';

export type InstallOutcome = 'present' | 'installed' | 'docker';

export interface InstallResult {
  name: ServiceName;
  outcome: InstallOutcome;
  elapsedMs: number;
}

/** Missing package lists (a fresh image after `rm -rf /var/lib/apt/lists`) make every install fail. */
function aptListsMissing(): boolean {
  try {
    return !readdirSync('/var/lib/apt/lists').some((f) => f.includes('_Packages'));
  } catch {
    return true;
  }
}

export async function aptInstall(
  packages: string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
) {
  if (!which('apt-get', env)) {
    throw new InstallError(
      `apt-get not found: install ${packages.join(', ')} with your package manager, or run a Docker engine`,
    );
  }
  const sudo = !isRoot() && which('sudo', env) ? ['sudo'] : [];
  const run = (args: string[]) => {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    log(`apt: ${[command, ...rest].join(' ')}`);
    return runCommand(command!, rest, {
      env: { ...process.env, ...env, DEBIAN_FRONTEND: 'noninteractive' },
      onLine: (line) => line.trim() && log(`apt: ${line}`),
    });
  };
  let updated = false;
  if (aptListsMissing()) {
    await run(['update']);
    updated = true;
  }
  // Wait for a concurrent apt/dpkg (e.g. unattended-upgrades) instead of failing on its lock.
  const install = [
    'install',
    '-y',
    '--no-install-recommends',
    '-o',
    'DPkg::Lock::Timeout=600',
    ...packages,
  ];
  let result = await run(install);
  if (
    result.code !== 0 &&
    !updated &&
    /Unable to locate package|no installation candidate|Failed to fetch|404\s+Not Found/.test(
      result.output,
    )
  ) {
    log('apt: package lists look stale; running apt-get update once');
    await run(['update']);
    result = await run(install);
  }
  if (result.code !== 0) {
    throw new InstallError(`apt-get install ${packages.join(' ')} failed with code ${result.code}`);
  }
}

/**
 * Install what `up` needs to start the services natively: Debian packages in one apt-get
 * call, then the Kafka jars (Maven) and toxiproxy (go install). Idempotent: present things
 * are skipped. With a Docker engine answering, nothing is installed (up will use Compose).
 */
export async function installServices(
  services: Services,
  names: readonly string[] | undefined,
  {
    env = process.env,
    log = () => {},
  }: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<Array<Settled<InstallResult>>> {
  const selected = resolveNames(names);
  const startedMs = Date.now();
  if ((await chooseRuntime(env)) === 'docker') {
    log(
      'a Docker engine answers: skipping native installs (up will use infra/compose/*.yml; SERVICES_RUNTIME=native to override)',
    );
    return selected.map((name) => ({
      name,
      ok: true,
      value: { name, outcome: 'docker', elapsedMs: 0 },
    }));
  }

  const plans = selected.map((name) => ({ name, plan: services.get(name).installPlan() }));
  const aptPackages = [...new Set(plans.flatMap((p) => p.plan.aptPackages))];
  const failures = new Map<ServiceName, Error>();
  const finishedMs = new Map<ServiceName, number>();

  for (const { name, plan } of plans) {
    if (plan.aptPackages.length === 0 && plan.steps.length === 0) log(`${name}: already installed`);
  }

  const runSteps = async (group: typeof plans) => {
    await Promise.all(
      group.map(async ({ name, plan }) => {
        if (failures.has(name)) return;
        try {
          for (const step of plan.steps) {
            log(`${name}: ${step.label}`);
            await step.run();
          }
        } catch (err) {
          failures.set(name, err instanceof Error ? err : new Error(String(err)));
        }
        finishedMs.set(name, Date.now() - startedMs);
      }),
    );
  };

  // Steps that need nothing from apt (e.g. go install) run while apt works.
  const independent = plans.filter(
    (p) => p.plan.aptPackages.length === 0 && p.plan.steps.length > 0,
  );
  const needApt = plans.filter((p) => p.plan.aptPackages.length > 0);
  const aptDone = (async () => {
    if (aptPackages.length === 0) return;
    log(`installing Debian packages: ${aptPackages.join(' ')}`);
    try {
      await aptInstall(aptPackages, env, log);
    } catch (err) {
      for (const { name } of needApt) failures.set(name, err as Error);
    }
    for (const { name } of needApt) finishedMs.set(name, Date.now() - startedMs);
  })();
  await Promise.all([runSteps(independent), aptDone.then(() => runSteps(needApt))]);

  return plans.map(({ name, plan }): Settled<InstallResult> => {
    const failure = failures.get(name);
    if (failure) return { name, ok: false, error: failure };
    const nothingToDo = plan.aptPackages.length === 0 && plan.steps.length === 0;
    if (!services.get(name).installed()) {
      return {
        name,
        ok: false,
        error: new InstallError(`${name}: still not installed after install`),
      };
    }
    return {
      name,
      ok: true,
      value: {
        name,
        outcome: nothingToDo ? 'present' : 'installed',
        elapsedMs: finishedMs.get(name) ?? 0,
      },
    };
  });
}
