import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLeakLine, stackFrames } from '../src/experiments/leak.ts';
import { isInjectedError, refundFor } from '../src/experiments/refund-load.ts';
import { MAX_CAPTURED_CENTS, MAX_REFUND_CENTS } from '../src/orders.ts';

const pocRoot = fileURLToPath(new URL('..', import.meta.url));
const count = (n: number, rate: number) =>
  Array.from({ length: n }, (_, i) => i).filter((i) => isInjectedError(i, rate)).length;

describe('load generator', () => {
  it('injects exactly floor(n × rate) errors, evenly spread', () => {
    expect(count(10_000, 0.2)).toBe(2_000);
    expect(count(1_000, 0.07)).toBe(70);
    expect(count(100, 0)).toBe(0);
    expect(count(100, 1)).toBe(100);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => isInjectedError(i, 0.2))).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('sends injected errors over any order balance and the rest as small valid refunds', () => {
    expect(MAX_REFUND_CENTS).toBeGreaterThan(MAX_CAPTURED_CENTS);
    expect(refundFor(4, 0.2, 1_000)).toMatchObject({
      amountCents: MAX_REFUND_CENTS,
      injected: true,
    });
    for (let i = 0; i < 2_000; i++) {
      const r = refundFor(i, 0.2, 1_000);
      expect(r.orderId).toBeGreaterThanOrEqual(1);
      expect(r.orderId).toBeLessThanOrEqual(1_000);
      if (!r.injected) expect(r.amountCents).toBeLessThanOrEqual(500);
    }
  });
});

describe('leak report parsing', () => {
  it('reads heldMs and the acquiring frames from the pool log line', () => {
    const line = JSON.stringify({
      level: 40,
      heldMs: 2001,
      thresholdMs: 2000,
      stack: `    at refundOrderLeaky (${pocRoot}src/refund-leaky.ts:18:29)\n    at Object.<anonymous> (/x/app.ts:1:1)\n    at third (/x/y.js:1:1)`,
      msg: 'connection leak: client held past threshold',
    });
    const leak = parseLeakLine(line, 2_204.4);
    expect(leak).toEqual({
      heldMs: 2001,
      thresholdMs: 2000,
      frames: [
        'at refundOrderLeaky (src/refund-leaky.ts:18:29)',
        'at Object.<anonymous> (/x/app.ts:1:1)',
      ],
      reportedAtMs: 2204,
    });
    expect(parseLeakLine('{"msg":"pool exhausted"}', 0)).toBeUndefined();
    expect(parseLeakLine('connection leak but not json', 0)).toBeUndefined();
    expect(stackFrames('Error\n  at a (b)\n  at c (d)', 1)).toEqual(['at a (b)']);
  });
});
