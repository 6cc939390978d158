import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeFiles } from '../src/compose-check.ts';
import { SERVICE_NAMES } from '../src/definition.ts';
import { composeFile, repoRoot } from '../src/paths.ts';
import { createServices } from '../src/services.ts';
import { COMPOSE_IMAGES, KAFKA_VERSION } from '../src/versions.ts';

// No Docker engine on CI, so the compose files are checked by reading them: each must
// publish (or, on the host network, listen on) the same port as the native default.

interface ComposeService {
  image?: string;
  ports?: Array<string | number | { published?: string | number; target?: number }>;
  network_mode?: string;
  command?: string[] | string;
  healthcheck?: { test?: unknown };
}

/** Host ports of the short ("127.0.0.1:5432:5432", "5432:5432") and long port syntax. */
function publishedPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((entry) => {
    if (typeof entry === 'object') return Number(entry.published);
    const parts = String(entry).split('/')[0]!.split(':');
    return Number(parts.length === 1 ? parts[0] : parts[parts.length - 2]);
  });
}

/** With network_mode host nothing is published; the port is the one the server listens on. */
function hostNetworkPort(service: ComposeService): number | undefined {
  const command = Array.isArray(service.command) ? service.command : [];
  const flag = command.findIndex((arg) => arg === '-port' || arg === '--port');
  return flag >= 0 ? Number(command[flag + 1]) : undefined;
}

// Defaults only: a developer's *_URL overrides must not change what we compare against.
const defaults = createServices({ env: { PATH: process.env.PATH, HOME: process.env.HOME } });

describe('compose files', () => {
  const singleNode = SERVICE_NAMES.filter((name) => name !== 'kafka-cluster');
  it.each(singleNode)('%s.yml uses the native default port and has a healthcheck', (name) => {
    const doc = parse(readFileSync(composeFile(name), 'utf8')) as {
      services: Record<string, ComposeService>;
    };
    const services = Object.values(doc.services);
    expect(services).toHaveLength(1);
    const service = services[0]!;
    const { port } = defaults.get(name);

    const ports =
      service.network_mode === 'host' ? [hostNetworkPort(service)] : publishedPorts(service);
    expect(ports).toEqual([port]);
    expect(service.healthcheck?.test).toBeDefined();
    expect(service.image).toMatch(/^[\w./-]+:[\w.-]+$/); // pinned tag, never implicit latest
  });

  it('kafka-cluster.yml runs three nodes on the native cluster ports, replication factor 3', () => {
    const doc = parse(readFileSync(composeFile('kafka-cluster'), 'utf8')) as {
      services: Record<string, ComposeService & { environment: Record<string, string | number> }>;
    };
    const expected = defaults.get('kafka-cluster').url.split(',');
    const nodes = Object.entries(doc.services);
    expect(nodes.map(([name]) => name)).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    nodes.forEach(([, service], i) => {
      expect(service.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
      expect(service.network_mode).toBe('host');
      expect(service.healthcheck?.test).toBeDefined();
      expect(service.environment.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${expected[i]}`);
      expect(service.environment.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe(3);
      expect(service.environment.KAFKA_MIN_INSYNC_REPLICAS).toBe(2);
    });
  });

  it('pins the same Kafka version as the native broker', () => {
    const doc = parse(readFileSync(composeFile('kafka'), 'utf8'));
    expect(doc.services.kafka.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(doc.services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toBe(
      'PLAINTEXT://127.0.0.1:9092',
    );
  });

  // The compose files must run what the native services run: a POC measured on Postgres 15
  // natively should not meet Postgres 16 under Compose.
  it.each(composeFiles().map((f) => [relative(repoRoot, f), f]))(
    '%s pins the images infra pins (infra/src/versions.ts)',
    (_name, file) => {
      const doc = parse(readFileSync(file, 'utf8')) as { services: Record<string, ComposeService> };
      const off = Object.entries(doc.services).flatMap(([service, { image }]) => {
        if (!image) return [];
        const [repository = '', tag] = image.split(/:(?=[^:/]+$)/);
        const pinned = COMPOSE_IMAGES[repository];
        if (pinned === undefined) return [`${service}: ${repository} is not in COMPOSE_IMAGES`];
        return tag === pinned ? [] : [`${service}: ${image}, infra pins ${repository}:${pinned}`];
      });
      expect(off).toEqual([]);
    },
  );
});
