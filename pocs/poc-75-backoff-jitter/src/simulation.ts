/**
 * Marc Brooker's optimistic-concurrency experiment ("Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015), as a seeded discrete-event simulation. N clients all want to
 * write one row. An attempt reads the version, and its conditional write lands `callMs`
 * later; it succeeds only if nobody wrote in between. A loser backs off and tries again.
 * Same seed, same result, on any machine.
 */
import { type BackoffOptions, backoffDelay, seededRandom } from '@pocs/shared/backoff';

export interface SimulationOptions {
  clients: number;
  backoff: BackoffOptions;
  /** Time from reading the version to the conditional write landing, ms. */
  callMs: number;
  seed: number;
}

export interface SimulationResult {
  clients: number;
  strategy: BackoffOptions['strategy'];
  /** Conditional writes sent, successful or not. */
  calls: number;
  /** When the last client's write succeeded, ms of simulated time. */
  completionMs: number;
}

interface Pending {
  at: number;
  kind: 'read' | 'write';
  seenVersion: number;
  seq: number;
}

export function simulateContention({
  clients,
  backoff,
  callMs,
  seed,
}: SimulationOptions): SimulationResult {
  const random = seededRandom(seed);
  let version = 0;
  let calls = 0;
  let completionMs = 0;
  let seq = 0;
  const next: (Pending | null)[] = [];
  const attempts: number[] = [];
  const previousDelay: (number | undefined)[] = [];
  for (let c = 0; c < clients; c++) {
    next.push({ at: 0, kind: 'read', seenVersion: -1, seq: seq++ });
    attempts.push(0);
    previousDelay.push(undefined);
  }
  for (;;) {
    // Each client has at most one pending event: take the earliest, ties in order of scheduling.
    let c = -1;
    for (let i = 0; i < clients; i++) {
      const e = next[i];
      if (e && (c < 0 || e.at < next[c]!.at || (e.at === next[c]!.at && e.seq < next[c]!.seq)))
        c = i;
    }
    if (c < 0) break;
    const event = next[c]!;
    if (event.kind === 'read') {
      next[c] = { at: event.at + callMs, kind: 'write', seenVersion: version, seq: seq++ };
      continue;
    }
    calls++;
    if (event.seenVersion === version) {
      version++;
      completionMs = Math.max(completionMs, event.at);
      next[c] = null;
      continue;
    }
    const delay = backoffDelay(attempts[c]!, backoff, random, previousDelay[c]);
    attempts[c]!++;
    previousDelay[c] = delay;
    next[c] = { at: event.at + delay, kind: 'read', seenVersion: -1, seq: seq++ };
  }
  return { clients, strategy: backoff.strategy, calls, completionMs: Math.round(completionMs) };
}
