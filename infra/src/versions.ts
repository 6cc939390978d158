/** Pinned so every machine runs the same broker and proxy; bump together with infra/compose. */
export const KAFKA_VERSION = '3.9.2';
export const KAFKA_SCALA_VERSION = '2.13';
export const TOXIPROXY_VERSION = 'v2.12.0';
