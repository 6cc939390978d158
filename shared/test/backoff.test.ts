import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackoffOptions,
  backoffDelay,
  backoffSequence,
  backoffStrategies,
  seededRandom,
} from '../src/backoff.ts';

// A "random" source that replays fixed numbers, so every jittered delay is known exactly.
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};
const base = { baseMs: 5, capMs: 2_000 };

describe('backoff delays', () => {
  it('doubles from base without jitter and stops at the cap', () => {
    expect(backoffSequence(11, { strategy: 'none', ...base }, replay(0.5))).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000,
    ]);
  });

  it('full jitter scales the exponential delay by the random number', () => {
    expect(backoffSequence(4, { strategy: 'full', ...base }, replay(0, 0.5, 0.25, 0.75))).toEqual([
      0, 5, 5, 30,
    ]);
  });

  it('equal jitter keeps half the exponential delay and jitters the other half', () => {
    expect(backoffSequence(4, { strategy: 'equal', ...base }, replay(0, 0.5, 0.25, 0.5))).toEqual([
      2.5, 7.5, 12.5, 30,
    ]);
  });

  it('decorrelated jitter draws between base and three times the previous delay', () => {
    // previous 5 → [5, 15): 0.5 → 10; previous 10 → [5, 30): 0.2 → 10, then 0.6 → 20
    expect(
      backoffSequence(3, { strategy: 'decorrelated', ...base }, replay(0.5, 0.2, 0.6)),
    ).toEqual([10, 10, 20]);
    expect(backoffDelay(9, { strategy: 'decorrelated', ...base }, replay(0.9), 1_900)).toBe(2_000);
  });

  it('replays the same sequence from the same seed', () => {
    const options: BackoffOptions = { strategy: 'full', ...base };
    const a = backoffSequence(20, options, seededRandom(42));
    const b = backoffSequence(20, options, seededRandom(42));
    const c = backoffSequence(20, options, seededRandom(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('seededRandom stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const random = seededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const r = random();
          if (!(r >= 0 && r < 1)) return false;
        }
        return true;
      }),
    );
  });
});

describe('backoff properties', () => {
  const strategy = fc.constantFrom(...backoffStrategies);
  const options = fc
    .record({
      baseMs: fc.integer({ min: 1, max: 1_000 }),
      capMs: fc.integer({ min: 1, max: 60_000 }),
      strategy,
    })
    .filter((o) => o.capMs >= o.baseMs);
  const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('a delay is always within [0, cap]', () => {
    fc.assert(
      fc.property(
        options,
        fc.integer({ min: 0, max: 2_000 }),
        fc.array(unit, { minLength: 1 }),
        (o, retries, rs) => {
          const delays = backoffSequence(Math.min(retries, 60), o, replay(...rs));
          return delays.every((d) => d >= 0 && d <= o.capMs);
        },
      ),
    );
  });

  it('full jitter never exceeds the un-jittered delay, equal jitter never goes below half of it', () => {
    fc.assert(
      fc.property(options, fc.integer({ min: 0, max: 1_100 }), unit, (o, attempt, r) => {
        const plain = backoffDelay(attempt, { ...o, strategy: 'none' }, () => r);
        const full = backoffDelay(attempt, { ...o, strategy: 'full' }, () => r);
        const equal = backoffDelay(attempt, { ...o, strategy: 'equal' }, () => r);
        return full <= plain && equal >= plain / 2 && equal <= plain;
      }),
    );
  });

  it('decorrelated jitter is never below base', () => {
    fc.assert(
      fc.property(options, fc.array(unit, { minLength: 1, maxLength: 30 }), (o, rs) =>
        backoffSequence(rs.length, { ...o, strategy: 'decorrelated' }, replay(...rs)).every(
          (d) => d >= o.baseMs,
        ),
      ),
    );
  });
});
