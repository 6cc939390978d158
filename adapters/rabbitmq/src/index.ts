// RabbitMQ for the POCs: a bounded connect, and a connection that survives the broker
// restarting, resetting or dropping it (channels rebuilt, never a crash).
export * from './connection.ts';
