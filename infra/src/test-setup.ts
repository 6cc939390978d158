import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { isServiceName, redactUrl, type ServiceName } from './definition.ts';
import { createServices } from './services.ts';

/** Long enough for a healthy Kafka to answer metadata; far shorter than a hung test. */
export const SERVICE_CHECK_TIMEOUT_MS = 3_000;

export class ServicesNotRunningError extends Error {
  override name = 'ServicesNotRunningError';
  readonly retriable = false;
  constructor(
    readonly missing: Array<{ name: ServiceName; url: string; reason: string }>,
    readonly project: string,
  ) {
    const names = missing.map((m) => m.name).join(' ');
    super(
      `${project} needs services that do not answer:\n${missing
        .map((m) => `  ${m.name.padEnd(13)} ${m.url}: ${m.reason}`)
        .join(
          '\n',
        )}\nrun \`pnpm services up ${names}\` (or \`bash scripts/test-all.sh\`, which starts them all)`,
    );
  }
}

/** The services a package declares in its package.json: `"pocs": { "services": [...] }`. */
export function declaredServices(packageDir: string): ServiceName[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    name?: string;
    pocs?: { services?: unknown };
  };
  const declared = pkg.pocs?.services ?? [];
  if (
    !Array.isArray(declared) ||
    !declared.every((n) => typeof n === 'string' && isServiceName(n))
  ) {
    throw new Error(
      `${pkg.name ?? packageDir}: package.json "pocs.services" must list service names, got ${JSON.stringify(declared)}`,
    );
  }
  return declared as ServiceName[];
}

/**
 * Ask every named service's health check at once, each bounded by `timeoutMs`, and throw one
 * error naming all that did not answer, with the command that starts them. A test run with
 * Redis down then fails in seconds with that line, instead of each test hanging on its timeout.
 */
export async function requireServices(
  names: readonly ServiceName[],
  { project = 'tests', env = process.env, timeoutMs = SERVICE_CHECK_TIMEOUT_MS } = {},
): Promise<void> {
  const services = createServices({ env });
  const results = await Promise.all(
    names.map(async (name) => {
      const def = services.get(name);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([def.health(), deadline]);
        return undefined;
      } catch (err) {
        return {
          name,
          url: redactUrl(def.url),
          reason: err instanceof Error ? err.message : String(err),
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const missing = results.filter((r) => r !== undefined);
  if (missing.length > 0) throw new ServicesNotRunningError(missing, project);
}

/** vitest `globalSetup`: checks the services the project's package.json declares. */
export default async function setup(project: TestProject): Promise<void> {
  const root = project.config.root;
  await requireServices(declaredServices(root), { project: project.name });
}
