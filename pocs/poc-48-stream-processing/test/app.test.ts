import { randomBytes } from 'node:crypto';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { deleteTopics } from '../src/kafka.ts';
import { brokers } from './services.ts';

const id = randomBytes(3).toString('hex');
const config = loadConfig({
  KAFKA_BROKERS: brokers.join(','),
  INPUT_TOPIC: `poc48.app.${id}.events`,
  CHANGELOG_TOPIC: `poc48.app.${id}.changelog`,
  OUTPUT_TOPIC: `poc48.app.${id}.output`,
  APPLICATION_ID: `poc48-app-${id}`,
  LOG_LEVEL: 'silent',
});
let built: Awaited<ReturnType<typeof buildApp>>;

// Window [1 700 000 000 000, +10 s): key-a gets 3 events, key-b 2, none of them late.
const t0 = 1_700_000_000_000;
const events = [
  { key: 'key-a', eventTime: t0 + 100, id: 'a1' },
  { key: 'key-b', eventTime: t0 + 200, id: 'b1' },
  { key: 'key-a', eventTime: t0 + 300, id: 'a2' },
  { key: 'key-a', eventTime: t0 + 50, id: 'a3' },
  { key: 'key-b', eventTime: t0 + 900, id: 'b2' },
];

beforeAll(async () => {
  built = await buildApp(config, { logger: silentLogger, registry: createRegistry() });
  const producer = built.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: config.INPUT_TOPIC,
    acks: -1,
    messages: [
      ...events.map((e) => ({ key: e.key, value: JSON.stringify(e) })),
      { key: 'key-a', value: 'not json' },
    ],
  });
  await producer.disconnect();
  await waitFor(() => built.processor.stats().processed === events.length, {
    timeoutMs: 30_000,
    description: `${events.length} events processed`,
  });
}, 60_000);

afterAll(async () => {
  await built?.app.close();
  await built?.admin.deleteGroups([config.APPLICATION_ID]).catch(() => {});
  const admin = built?.kafka.admin();
  await admin?.connect();
  if (admin) {
    await deleteTopics(admin, [config.INPUT_TOPIC, config.CHANGELOG_TOPIC, config.OUTPUT_TOPIC]);
    await admin.disconnect();
  }
}, 60_000);

describe('HTTP', () => {
  it('GET /windows?key= shows the open window of that key with its count so far', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/windows?key=key-a' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      key: 'key-a',
      total: 1,
      windows: [{ key: 'key-a', windowStart: t0, windowEnd: t0 + 10_000, count: 3 }],
    });
  });

  it('GET /windows lists every open window', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/windows' });
    expect(res.json().windows.map((w: { key: string; count: number }) => [w.key, w.count])).toEqual(
      [
        ['key-a', 3],
        ['key-b', 2],
      ],
    );
  });

  it.each([
    ['/windows?key=', 'an empty key'],
    ['/windows?limit=0', 'a limit below 1'],
    ['/windows?limit=abc', 'a limit that is not a number'],
    ['/windows?colour=red', 'an unknown parameter'],
  ])('GET %s answers 400 problem+json for %s', async (url) => {
    const res = await built.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'invalid_query' });
  });

  it('GET /stats counts the poison record apart from the events', async () => {
    await waitFor(() => built.processor.stats().poison === 1, {
      timeoutMs: 10_000,
      description: 'the poison record',
    });
    const stats = (await built.app.inject({ method: 'GET', url: '/stats' })).json();
    expect(stats).toMatchObject({
      phase: 'running',
      processed: 5,
      lateDropped: 0,
      openWindows: 2,
      poison: 1,
    });
  });

  it('GET /metrics exposes events, late drops, changelog writes and restore time', async () => {
    const text = (await built.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('stream_events_processed_total{outcome="counted"} 5');
    expect(text).toContain('stream_events_processed_total{outcome="poison"} 1');
    for (const name of [
      'stream_changelog_records_written_total',
      'stream_restore_duration_seconds',
      'stream_restore_records',
      'stream_open_windows 2',
    ])
      expect(text).toContain(name);
  });
});
