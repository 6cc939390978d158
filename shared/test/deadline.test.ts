import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyStatementTimeout,
  createDeadline,
  DEADLINE_HEADER,
  deadlineFromHeaders,
  deadlineHeaders,
  fetchWithDeadline,
  formatGrpcTimeout,
  isDeadlineExceededError,
  parseGrpcTimeout,
  withinDeadline,
} from '../src/deadline.ts';
import { postgresUrl } from './pg-url.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('deadline arithmetic (fake clock)', () => {
  it('spends the budget as time passes and never goes below 0', () => {
    let t = 1_000;
    const d = createDeadline(300, () => t);
    expect(d.remainingMs()).toBe(300);
    t += 120;
    expect(d.remainingMs()).toBe(180);
    expect(d.expired()).toBe(false);
    t += 500;
    expect(d.remainingMs()).toBe(0);
    expect(d.expired()).toBe(true);
  });

  it('gives a child no more than the parent has left', () => {
    let t = 0;
    const parent = createDeadline(200, () => t);
    expect(parent.child(50).expiresAt).toBe(50);
    expect(parent.child(5_000).expiresAt).toBe(200);
    t = 150;
    expect(parent.child(100).remainingMs()).toBe(50);
  });

  it('takes the smaller of the caller budget and our cap; ignores a malformed header', () => {
    const now = () => 0;
    expect(
      deadlineFromHeaders({ [DEADLINE_HEADER]: '250' }, { defaultMs: 1_000, now }).remainingMs(),
    ).toBe(250);
    expect(
      deadlineFromHeaders(
        { [DEADLINE_HEADER]: '9000' },
        { defaultMs: 1_000, maxMs: 2_000, now },
      ).remainingMs(),
    ).toBe(2_000);
    expect(deadlineFromHeaders({}, { defaultMs: 1_000, now }).remainingMs()).toBe(1_000);
    expect(
      deadlineFromHeaders({ [DEADLINE_HEADER]: '-5' }, { defaultMs: 700, now }).remainingMs(),
    ).toBe(700);
    expect(
      deadlineFromHeaders({ [DEADLINE_HEADER]: 'soon' }, { defaultMs: 700, now }).remainingMs(),
    ).toBe(700);
  });

  it('passes on what is left minus the reserve for our own reply', () => {
    const d = createDeadline(400, () => 0);
    expect(deadlineHeaders(d, 50)).toEqual({ [DEADLINE_HEADER]: '350' });
    expect(deadlineHeaders(d, 1_000)).toEqual({ [DEADLINE_HEADER]: '0' });
  });

  it('formats and parses grpc-timeout', () => {
    expect(formatGrpcTimeout(250)).toBe('250m');
    expect(formatGrpcTimeout(123_456_789)).toBe('123456S');
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('2S')).toBe(2_000);
    expect(parseGrpcTimeout('1H')).toBe(3_600_000);
    expect(parseGrpcTimeout('500u')).toBeCloseTo(0.5);
    expect(parseGrpcTimeout('123456789m')).toBeUndefined();
    expect(parseGrpcTimeout('10x')).toBeUndefined();
  });
});

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('deadline on real I/O', () => {
  it('fetch: aborts a slow answer at the deadline and tells the next hop its budget', async () => {
    let seen: IncomingHttpHeaders = {};
    server = createServer((req, res) => {
      seen = req.headers;
      setTimeout(() => res.end('late'), 1_000);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    server.closeAllConnections?.();

    const started = Date.now();
    const err = await fetchWithDeadline(`http://127.0.0.1:${port}/`, createDeadline(150), {
      reserveMs: 20,
    }).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(isDeadlineExceededError(err)).toBe(true);
    expect(err.retriable).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(900);
    const sent = Number(seen[DEADLINE_HEADER]);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(130);
    server.closeAllConnections();
  });

  it('fetch: refuses to start a call once the deadline has passed', async () => {
    const err = await fetchWithDeadline('http://127.0.0.1:9/', createDeadline(0)).catch((e) => e);
    expect(isDeadlineExceededError(err)).toBe(true);
  });

  it('postgres: the server cancels a statement that outlives the budget', async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      const applied = await applyStatementTimeout(client, createDeadline(200));
      expect(applied).toBeGreaterThan(150);
      const started = Date.now();
      const err = await client.query('select pg_sleep(3)').catch((e) => e);
      expect(err.code).toBe('57014'); // query_canceled: statement timeout
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await client.end();
    }
  });

  it('redis: a command racing the deadline gives up when it passes', async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true });
    await redis.connect();
    try {
      const started = Date.now();
      // BLPOP on an empty list blocks for 3 s: the deadline must win.
      const err = await withinDeadline(createDeadline(150), 'BLPOP', () =>
        redis.blpop(`deadline-test:${process.pid}:${Date.now()}`, 3),
      ).catch((e) => e);
      expect(isDeadlineExceededError(err)).toBe(true);
      expect(err.message).toMatch(/^BLPOP did not finish within the 1\d\d ms left$/);
      expect(Date.now() - started).toBeLessThan(1_000);
      // The race does not cancel BLPOP: this connection stays busy, so ask on another one.
      const other = new Redis(redisUrl);
      expect(await withinDeadline(createDeadline(1_000), 'PING', () => other.ping())).toBe('PONG');
      other.disconnect();
    } finally {
      redis.disconnect();
    }
  });
});
