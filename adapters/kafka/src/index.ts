// Kafka for the POCs: one client factory and broker-list parser, pino logging for kafkajs,
// topic helpers that wait until a multi-broker cluster really serves a topic.
export * from './client.ts';
export * from './links.ts';
export * from './logging.ts';
export * from './topics.ts';
