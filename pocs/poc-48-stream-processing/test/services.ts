import { parseBrokers } from '@pocs/kafka';
import { loadConfig } from '../src/config.ts';

/** The real Kafka the tests use: KAFKA_BROKERS, or the config default. */
export const brokers = parseBrokers(loadConfig().KAFKA_BROKERS);

/** Fixed test ports of POC 48 (31NN): the child processor, one at a time. */
export const CHILD_PORT = 3148;

/** toxiproxy listeners of the link-outage test, one per broker (27480, 27481, …). */
export const LINK_PROXY_FIRST_PORT = 27480;
