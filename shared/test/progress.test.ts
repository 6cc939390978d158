import { describe, expect, it } from 'vitest';
import { withProgress } from '../src/progress.ts';

describe('withProgress', () => {
  it('prints a start line, a line per interval while the step runs, and none after it ends', async () => {
    const lines: string[] = [];
    let finish: (value: string) => void = () => {};
    const running = withProgress(
      'step',
      () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
      { everyMs: 20, print: (line) => lines.push(line) },
    );
    const deadline = Date.now() + 5_000;
    while (lines.length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    finish('done');
    expect(await running).toBe('done');
    const printed = lines.length;
    expect(printed).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toBe('step…');
    expect(lines.slice(1, 3).every((l) => /^step: \d+ s$/.test(l))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(lines).toHaveLength(printed);
  });
});
