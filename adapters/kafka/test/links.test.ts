import { serviceDefaults } from '@pocs/shared/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, parseBrokers, uniqueName } from '../src/client.ts';
import { type BrokerLinks, proxyBrokerLinks } from '../src/links.ts';

const brokers = parseBrokers(process.env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS);
let links: BrokerLinks;

beforeAll(async () => {
  links = await proxyBrokerLinks({ brokers, name: uniqueName('adapter-links'), firstPort: 27_440 });
});
afterAll(async () => {
  await links?.delete();
});

const describeVia = async (socketFactory?: BrokerLinks['socketFactory']) => {
  const admin = createKafka({
    brokers,
    clientId: 'adapter-links-test',
    retry: { retries: 0 },
    ...(socketFactory ? { socketFactory } : {}),
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect().catch(() => {});
  }
};

describe('proxyBrokerLinks', () => {
  it('one proxy per broker; a client built with its socketFactory goes through them only', async () => {
    const direct = await describeVia();
    expect(links.proxies).toHaveLength(direct);
    expect(await describeVia(links.socketFactory)).toBe(direct);
    await links.setEnabled(false);
    try {
      await expect(describeVia(links.socketFactory)).rejects.toThrow();
      // Every other client still reaches the brokers.
      expect(await describeVia()).toBe(direct);
    } finally {
      await links.setEnabled(true);
    }
    expect(await describeVia(links.socketFactory)).toBe(direct);
  });
});
