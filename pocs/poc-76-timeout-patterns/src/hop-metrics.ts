import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';
import type { FastifyInstance } from 'fastify';

export type ServiceName = 'gateway' | 'orders' | 'inventory';

/**
 * What piles up when a hop waits without a timeout: requests it is still working on and
 * sockets it holds open. Each service registers these on its own registry.
 */
export function createHopMetrics(registry: Registry, service: ServiceName) {
  const inFlight = new Gauge({
    name: 'hop_requests_in_flight',
    help: 'Requests this service has started and not yet answered (count)',
    labelNames: ['service'],
    registers: [registry],
  }).labels({ service });
  const openSockets = new Gauge({
    name: 'hop_open_sockets',
    help: 'Client TCP connections open on this service (count)',
    labelNames: ['service'],
    registers: [registry],
  }).labels({ service });
  const upstreamAttempts = new Counter({
    name: 'hop_upstream_attempts_total',
    help: 'Calls this service made to the next hop, by outcome (count)',
    labelNames: ['service', 'outcome'],
    registers: [registry],
  });

  return {
    /** Count the handler's work as in flight until it settles, whatever the outcome. */
    async track<T>(work: () => Promise<T>): Promise<T> {
      inFlight.inc();
      try {
        return await work();
      } finally {
        inFlight.dec();
      }
    },
    watchSockets(app: FastifyInstance) {
      app.server.on('connection', (socket) => {
        openSockets.inc();
        socket.once('close', () => openSockets.dec());
      });
    },
    attempt(outcome: 'ok' | 'client_error' | 'server_error' | 'timeout' | 'network_error') {
      upstreamAttempts.inc({ service, outcome });
    },
  };
}

export type HopMetrics = ReturnType<typeof createHopMetrics>;
