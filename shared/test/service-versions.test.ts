import { describe, expect, it } from 'vitest';
import { serviceDefaults } from '../src/config.ts';
import {
  postgresVersion,
  rabbitmqVersion,
  redisVersion,
  toxiproxyVersion,
} from '../src/service-versions.ts';

// Against the real services (pnpm services up postgres redis rabbitmq toxiproxy).
describe('service versions', () => {
  it('asks each running service for its version', async () => {
    expect(await postgresVersion(serviceDefaults.POSTGRES_URL)).toMatch(/^\d+\.\d+/);
    expect(await redisVersion(serviceDefaults.REDIS_URL)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await rabbitmqVersion(serviceDefaults.RABBITMQ_URL)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await toxiproxyVersion(serviceDefaults.TOXIPROXY_URL)).toMatch(/^v?\d+\.\d+\.\d+$/);
  });

  it('answers "unknown (why)" instead of failing when nothing listens', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    expect(await redisVersion('redis://127.0.0.1:1')).toMatch(/^unknown \(.*ECONNREFUSED/);
    expect(await rabbitmqVersion('amqp://127.0.0.1:1')).toMatch(/^unknown \(.*ECONNREFUSED/);
    expect(await postgresVersion('postgres://x:y@127.0.0.1:1/db')).toMatch(/^unknown \(/);
    expect(await toxiproxyVersion('http://127.0.0.1:1')).toMatch(/^unknown \(/);
  });
});
