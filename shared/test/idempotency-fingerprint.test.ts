import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  checkIdempotencyKey,
  requestFingerprint,
} from '../src/idempotency-fingerprint.ts';

describe('idempotency fingerprint', () => {
  it('ignores key order but not values', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(requestFingerprint('POST', '/p', { a: 1, b: 2 })).toBe(
      requestFingerprint('POST', '/p', { b: 2, a: 1 }),
    );
    expect(requestFingerprint('POST', '/p', { a: 1 })).not.toBe(
      requestFingerprint('POST', '/p', { a: 2 }),
    );
    expect(requestFingerprint('POST', '/p', { a: 1 })).not.toBe(
      requestFingerprint('POST', '/q', { a: 1 }),
    );
  });

  it('checks keys as the draft and Stripe describe them', () => {
    const h = 'Idempotency-Key';
    expect(checkIdempotencyKey(['abc'], h)).toEqual({ ok: true, key: 'abc' });
    expect(checkIdempotencyKey(['"abc"'], h)).toEqual({ ok: true, key: 'abc' });
    expect(checkIdempotencyKey(['k'.repeat(255)], h).ok).toBe(true);
    expect(checkIdempotencyKey([], h)).toMatchObject({ ok: false, problem: /missing/ });
    expect(checkIdempotencyKey(['a', 'b'], h)).toMatchObject({ ok: false, problem: /2 times/ });
    expect(checkIdempotencyKey([''], h)).toMatchObject({ ok: false, problem: /empty/ });
    expect(checkIdempotencyKey(['k'.repeat(256)], h)).toMatchObject({
      ok: false,
      problem: /at most 255/,
    });
    expect(checkIdempotencyKey(['a b'], h)).toMatchObject({ ok: false, problem: /visible ASCII/ });
  });
});
