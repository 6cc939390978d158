import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import type { Config } from './config.ts';
import { buildGateway } from './gateway.ts';
import { buildInventory } from './inventory.ts';
import { buildOrders } from './orders.ts';

export { buildGateway, buildInventory, buildOrders };

/** Builds the service config.SERVICE names (the gateway for `all`): testable with inject. */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  switch (config.SERVICE) {
    case 'inventory':
      return (await buildInventory(config, deps)).app;
    case 'orders':
      return (await buildOrders(config, deps)).app;
    default:
      return (await buildGateway(config, deps)).app;
  }
}

export const servicePort = (config: Readonly<Config>): number =>
  config.SERVICE === 'orders'
    ? config.ORDERS_PORT
    : config.SERVICE === 'inventory'
      ? config.INVENTORY_PORT
      : config.PORT;
