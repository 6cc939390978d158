import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  closeWindows,
  emptyPartitionState,
  isClosed,
  windowStartOf,
} from '../src/windows.ts';

const spec = { sizeMs: 10_000, graceMs: 5_000 };
const at = (key: string, eventTime: number) => ({ key, eventTime });

describe('tumbling event-time windows', () => {
  it('puts an event in exactly one window, [start, start + size)', () => {
    expect(windowStartOf(0, 10_000)).toBe(0);
    expect(windowStartOf(9_999, 10_000)).toBe(0);
    expect(windowStartOf(10_000, 10_000)).toBe(10_000);
  });

  it('closes a window once stream time reaches its end plus grace', () => {
    expect(isClosed(10_000, 14_999, spec)).toBe(false);
    expect(isClosed(10_000, 15_000, spec)).toBe(true);
  });

  it('counts an out-of-order event that arrives within grace', () => {
    const s = emptyPartitionState();
    applyEvent(s, at('a', 1_000), '0', spec);
    applyEvent(s, at('a', 14_000), '1', spec); // stream time 14 000: window [0, 10 000) still open
    const late = applyEvent(s, at('a', 9_000), '2', spec);
    expect(late.outcome).toBe('counted');
    expect(s.windows.get('a|0')?.count).toBe(2);
    expect(s.lateDropped).toBe(0);
  });

  it('drops an event whose window closed, counts it as late, and keeps the window closed', () => {
    const s = emptyPartitionState();
    applyEvent(s, at('a', 1_000), '0', spec);
    applyEvent(s, at('b', 15_000), '1', spec); // stream time 15 000 closes [0, 10 000)
    expect(applyEvent(s, at('a', 2_000), '2', spec).outcome).toBe('late');
    expect(s.lateDropped).toBe(1);
    expect(closeWindows(s, spec)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10_000, count: 1 },
    ]);
    expect(applyEvent(s, at('a', 3_000), '3', spec).outcome).toBe('late');
    expect(s.windows.has('a|0')).toBe(false);
    expect(s.processed).toBe(4);
  });

  it('stream time never goes backwards', () => {
    const s = emptyPartitionState();
    applyEvent(s, at('a', 20_000), '0', spec);
    applyEvent(s, at('a', 16_000), '1', spec);
    expect(s.streamTime).toBe(20_000);
  });
});
