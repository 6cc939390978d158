import { serviceDefaults } from '@pocs/shared/config';

/** The shared broker(s) the tests run against: one broker or the 3-broker cluster. */
export const brokers = process.env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS;
