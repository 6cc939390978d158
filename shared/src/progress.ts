import { performance } from 'node:perf_hooks';

/**
 * Run a long step of a bench or break and keep the terminal alive: one line when it
 * starts, then one every `everyMs` with the seconds spent, until it ends. People watching
 * a run should never wait more than a few seconds for a line.
 */
export async function withProgress<T>(
  what: string,
  step: () => Promise<T>,
  { everyMs = 2_000, print = (line: string) => console.log(line) } = {},
): Promise<T> {
  const started = performance.now();
  print(`${what}…`);
  const tick = setInterval(() => {
    print(`${what}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }, everyMs);
  try {
    return await step();
  } finally {
    clearInterval(tick);
  }
}
