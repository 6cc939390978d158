import { loadConfig } from '../src/config.ts';

/** The Kafka the tests use: the config default (127.0.0.1:9092) or KAFKA_BROKERS. */
export const brokers = loadConfig().KAFKA_BROKERS;

/** Fixed test ports (31NN): the copier child, and the rival copier of the fencing test. */
export const COPIER_TEST_PORT = 3149;
export const RIVAL_COPIER_TEST_PORT = 3249;

/** toxiproxy listeners of the at-least-once outage test, one per broker (27490, 27491, …). */
export const LINK_PROXY_FIRST_PORT = 27490;
