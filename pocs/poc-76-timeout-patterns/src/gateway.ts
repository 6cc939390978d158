import { deadlineFromHeaders, isDeadlineExceededError } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { Config } from './config.ts';
import { forward } from './forward.ts';
import { createHopMetrics } from './hop-metrics.ts';
import { skuParams } from './inventory.ts';
import { callOnce, callWithoutTimeouts } from './upstream.ts';

/**
 * Gateway: the edge. Fixed mode: every request gets GATEWAY_DEADLINE_MS (or the caller's
 * smaller x-request-timeout-ms), hands orders at most ORDERS_TIMEOUT_MS of it, and never
 * retries: the one retry lives at orders.
 */
export async function buildGateway(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const hop = createHopMetrics(deps.registry, 'gateway');
  const app = createServer(deps);
  hop.watchSockets(app);
  const ordersUrl = (sku: string) =>
    new URL(`/availability/${encodeURIComponent(sku)}`, config.ORDERS_URL);

  app.get<{ Params: { sku: string } }>(
    '/api/availability/:sku',
    { schema: { params: skuParams } },
    async (request, reply) =>
      hop.track(async () => {
        const url = ordersUrl(request.params.sku);
        if (config.BREAK_NO_TIMEOUTS) {
          try {
            return forward(reply, await callWithoutTimeouts(url, config.LAYERED_ATTEMPTS, hop));
          } catch (err) {
            request.log.warn({ err }, 'orders unreachable');
            return sendProblem(reply, 502, 'orders unreachable', { code: 'upstream_unreachable' });
          }
        }
        const deadline = deadlineFromHeaders(request.headers, {
          defaultMs: config.GATEWAY_DEADLINE_MS,
        });
        try {
          return forward(
            reply,
            await callOnce(
              url,
              deadline.child(config.ORDERS_TIMEOUT_MS),
              config.HOP_RESERVE_MS,
              hop,
            ),
          );
        } catch (err) {
          if (isDeadlineExceededError(err)) {
            return sendProblem(reply, 504, 'orders did not answer in time', {
              code: 'deadline_exceeded',
            });
          }
          request.log.warn({ err }, 'orders unreachable');
          return sendProblem(reply, 502, 'orders unreachable', { code: 'upstream_unreachable' });
        }
      }),
  );

  return { app };
}
