/**
 * Pinned so every machine runs the same broker and proxy. The native servers come from
 * Debian 12's packages (PostgreSQL 15, Redis 7.0, RabbitMQ 3.10) and the Kafka jars from Maven
 * Central; the Compose images below match them, and `infra/test/compose.test.ts` checks every
 * compose file in the repo against this table.
 */
export const KAFKA_VERSION = '4.4.0';
export const KAFKA_SCALA_VERSION = '2.13';
export const TOXIPROXY_VERSION = 'v2.12.0';
export const COMPOSE_GO_VERSION = 'v2.16.2';

/** Image repository → the tag every compose file must use. */
export const COMPOSE_IMAGES: Readonly<Record<string, string>> = Object.freeze({
  postgres: '15',
  redis: '7.0',
  rabbitmq: '3.10',
  'apache/kafka': KAFKA_VERSION,
  'ghcr.io/shopify/toxiproxy': TOXIPROXY_VERSION.slice(1),
  // Containers that run a POC's own TypeScript: the Node the repo requires.
  node: '24',
});
