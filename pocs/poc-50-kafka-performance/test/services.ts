import { serviceDefaults } from '@pocs/shared/config';

/** The shared broker(s) the tests run against: one broker or the 3-broker cluster. */
export const brokers = process.env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS;

/** toxiproxy listeners of the broker-unreachable test, one per broker (27500, 27501, …). */
export const LINK_PROXY_FIRST_PORT = 27500;
