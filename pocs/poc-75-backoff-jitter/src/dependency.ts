/**
 * The flaky dependency's state: an outage switch, a capacity per window, and a count of
 * every request by window and outcome. Pure apart from the injected clock.
 */
export type Outcome = 'ok' | 'down' | 'overloaded';

export interface WindowCount {
  /** Start of the window, ms since the counters were last reset. */
  atMs: number;
  ok: number;
  down: number;
  overloaded: number;
}

export interface DependencyStats {
  /** The clock reading (epoch ms) at the last reset: window 0 starts here. */
  epochMs: number;
  windowMs: number;
  capacityPerWindow: number;
  /** When the last outage ended (or will end), ms since reset; null if there was none. */
  recoveredAtMs: number | null;
  total: Record<Outcome, number>;
  windows: WindowCount[];
}

export function createDependency({
  capacityPerWindow,
  windowMs,
  now = Date.now,
}: {
  capacityPerWindow: number;
  windowMs: number;
  now?: () => number;
}) {
  let epoch = now();
  let downUntil = -Infinity;
  let windows: WindowCount[] = [];
  let total: Record<Outcome, number> = { ok: 0, down: 0, overloaded: 0 };

  return {
    /** Count one request and decide its outcome. */
    serve(): Outcome {
      const t = now();
      const index = Math.floor((t - epoch) / windowMs);
      while (windows.length <= index) {
        windows.push({ atMs: windows.length * windowMs, ok: 0, down: 0, overloaded: 0 });
      }
      const w = windows[index]!;
      let outcome: Outcome;
      if (t < downUntil) outcome = 'down';
      else if (w.ok >= capacityPerWindow) outcome = 'overloaded';
      else outcome = 'ok';
      w[outcome]++;
      total[outcome]++;
      return outcome;
    },
    /** Start an outage now, lasting durationMs; it replaces any running one. */
    startOutage(durationMs: number) {
      downUntil = now() + durationMs;
      return { downForMs: durationMs };
    },
    endOutage() {
      downUntil = Math.min(downUntil, now());
    },
    /** Zero the counters; windows count from now. */
    reset() {
      epoch = now();
      windows = [];
      total = { ok: 0, down: 0, overloaded: 0 };
    },
    stats(): DependencyStats {
      return {
        epochMs: epoch,
        windowMs,
        capacityPerWindow,
        recoveredAtMs: Number.isFinite(downUntil) ? Math.max(0, downUntil - epoch) : null,
        total: { ...total },
        windows: windows.map((w) => ({ ...w })),
      };
    },
    isDown: () => now() < downUntil,
  };
}
