import { type Deadline, deadlineFromHeaders, isDeadlineExceededError } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import CircuitBreaker from 'opossum';
import { watchBreaker } from './breaker-metrics.ts';
import type { Config } from './config.ts';
import { forward } from './forward.ts';
import { createHopMetrics } from './hop-metrics.ts';
import { skuParams } from './inventory.ts';
import {
  callOnce,
  callWithoutTimeouts,
  type HopResponse,
  isUpstreamError,
  UpstreamError,
} from './upstream.ts';

const isBreakerOpen = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && 'code' in err && err.code === 'EOPENBREAKER';

/**
 * Orders: asks inventory for stock. Fixed mode: each try gets min(INVENTORY_TIMEOUT_MS,
 * budget left), at most ORDERS_RETRIES retries (the only layer that retries), all inside an
 * opossum circuit breaker that fails fast once inventory keeps failing.
 */
export async function buildOrders(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const hop = createHopMetrics(deps.registry, 'orders');
  const app = createServer(deps);
  hop.watchSockets(app);
  const stockUrl = (sku: string) =>
    new URL(`/stock/${encodeURIComponent(sku)}`, config.INVENTORY_URL);

  const breaker = new CircuitBreaker(
    async (url: URL, deadline: Deadline): Promise<HopResponse> => {
      const response = await callOnce(url, deadline, config.HOP_RESERVE_MS, hop);
      if (response.status >= 500) {
        throw new UpstreamError(`inventory answered ${response.status}`, response);
      }
      return response;
    },
    {
      // Our own per-try deadline aborts the call; opossum's timer would not.
      timeout: false,
      errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
      volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
      resetTimeout: config.BREAKER_RESET_MS,
      rollingCountTimeout: 10_000,
      rollingCountBuckets: 10,
    },
  );
  watchBreaker(breaker, { registry: deps.registry, dependency: 'inventory', logger: deps.logger });
  app.addHook('onClose', async () => breaker.shutdown());

  const fixed = async (sku: string, deadline: Deadline): Promise<HopResponse> => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= config.ORDERS_RETRIES; attempt++) {
      const left = deadline.remainingMs() - config.HOP_RESERVE_MS;
      if (left <= 0) break;
      try {
        return await breaker.fire(
          stockUrl(sku),
          deadline.child(Math.min(config.INVENTORY_TIMEOUT_MS, left)),
        );
      } catch (err) {
        lastError = err;
        if (isBreakerOpen(err)) break;
      }
    }
    if (isBreakerOpen(lastError)) {
      const retryAfterSec = Math.ceil(config.BREAKER_RESET_MS / 1000);
      return {
        status: 503,
        body: {
          type: 'about:blank',
          title: `inventory circuit open: retry in ${retryAfterSec} s`,
          status: 503,
          code: 'circuit_open',
        },
      };
    }
    if (isUpstreamError(lastError) && lastError.response) return lastError.response;
    const timedOut = lastError === undefined || isDeadlineExceededError(lastError);
    return {
      status: timedOut ? 504 : 502,
      body: {
        type: 'about:blank',
        title: timedOut ? 'inventory did not answer in time' : 'inventory unreachable',
        status: timedOut ? 504 : 502,
        code: timedOut ? 'deadline_exceeded' : 'upstream_unreachable',
      },
    };
  };

  app.get<{ Params: { sku: string } }>(
    '/availability/:sku',
    { schema: { params: skuParams } },
    async (request, reply) =>
      hop.track(async () => {
        const sku = request.params.sku;
        if (config.BREAK_NO_TIMEOUTS) {
          try {
            return forward(
              reply,
              await callWithoutTimeouts(stockUrl(sku), config.LAYERED_ATTEMPTS, hop),
            );
          } catch (err) {
            request.log.warn({ err }, 'inventory unreachable');
            return sendProblem(reply, 502, 'inventory unreachable', {
              code: 'upstream_unreachable',
            });
          }
        }
        const deadline = deadlineFromHeaders(request.headers, {
          defaultMs: config.ORDERS_TIMEOUT_MS,
          maxMs: config.GATEWAY_DEADLINE_MS,
        });
        const response = await fixed(sku, deadline);
        if (response.status === 503) reply.header('retry-after', '1');
        return forward(reply, response);
      }),
  );

  return { app, breaker };
}
