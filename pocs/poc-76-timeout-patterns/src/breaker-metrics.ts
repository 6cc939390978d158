import type { Logger } from '@pocs/shared/log';
import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';

/** The values `circuit_breaker_state` reports. */
export const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;
export type BreakerState = keyof typeof BREAKER_STATE;

/** The events of an opossum CircuitBreaker this needs. */
export interface BreakerEvents {
  on(event: 'open' | 'halfOpen' | 'close' | 'reject', listener: () => void): unknown;
}

const getOrCreate = <T>(registry: Registry, name: string, create: () => T): T =>
  (registry.getSingleMetric(name) as T | undefined) ?? create();

/**
 * A circuit breaker's state and refusals as metrics. A breaker is a mechanism, so the names
 * are the mechanism's (`circuit_breaker_*`) and `dependency` says which breaker it is: every
 * breaker in every service reads the same way on one dashboard.
 */
export function watchBreaker(
  breaker: BreakerEvents,
  o: { registry: Registry; dependency: string; logger: Logger },
): void {
  const state = getOrCreate(
    o.registry,
    'circuit_breaker_state',
    () =>
      new Gauge({
        name: 'circuit_breaker_state',
        help: 'Circuit breaker state, by dependency: 0 closed, 1 half-open, 2 open',
        labelNames: ['dependency'],
        registers: [o.registry],
      }),
  );
  const transitions = getOrCreate(
    o.registry,
    'circuit_breaker_transitions_total',
    () =>
      new Counter({
        name: 'circuit_breaker_transitions_total',
        help: 'Circuit breaker state changes, by dependency, old state and new state (count)',
        labelNames: ['dependency', 'from', 'to'],
        registers: [o.registry],
      }),
  );
  const rejected = getOrCreate(
    o.registry,
    'circuit_breaker_rejected_total',
    () =>
      new Counter({
        name: 'circuit_breaker_rejected_total',
        help: 'Calls the open breaker refused without calling the dependency, by dependency (count)',
        labelNames: ['dependency'],
        registers: [o.registry],
      }),
  );
  const { dependency } = o;
  let current: BreakerState = 'closed';
  state.set({ dependency }, BREAKER_STATE[current]);
  const moved = (to: BreakerState) => () => {
    state.set({ dependency }, BREAKER_STATE[to]);
    transitions.inc({ dependency, from: current, to });
    o.logger.warn({ dependency, from: current, to }, 'circuit breaker changed state');
    current = to;
  };
  breaker.on('open', moved('open'));
  breaker.on('halfOpen', moved('half_open'));
  breaker.on('close', moved('closed'));
  breaker.on('reject', () => rejected.inc({ dependency }));
}
