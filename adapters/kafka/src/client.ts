import { randomUUID } from 'node:crypto';
import { serviceDefaults } from '@pocs/shared/config';
import type { Logger } from '@pocs/shared/log';
import { type ISocketFactory, Kafka, type KafkaConfig, type logCreator, logLevel } from 'kafkajs';
import { z } from 'zod';
import { kafkaLogCreator } from './logging.ts';

export class BrokerListError extends Error {
  constructor(list: string, problem: string) {
    super(`broker list ${JSON.stringify(list)}: ${problem} (expected host:port[,host:port…])`);
    this.name = 'BrokerListError';
  }
}

const hostPort = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * "a:9092, b:9093" → ["a:9092", "b:9093"]. Spaces and empty entries are dropped; anything
 * that is not host:port (a scheme, a missing or out-of-range port) throws, naming the entry,
 * instead of reaching kafkajs as a broker it retries for a minute.
 */
export function parseBrokers(list: string): string[] {
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new BrokerListError(list, 'no broker');
  for (const broker of brokers) {
    const match = hostPort.exec(broker);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      throw new BrokerListError(list, `${JSON.stringify(broker)} is not host:port`);
    }
  }
  return brokers;
}

/** A `KAFKA_BROKERS`-style config entry: a comma-separated list, parsed to an array. */
export const brokerListEnv = (fallback: string = serviceDefaults.KAFKA_BROKERS) =>
  z
    .string()
    .default(fallback)
    .transform((list, ctx) => {
      try {
        return parseBrokers(list);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/**
 * The same entry kept as the checked string: a config whose defaults the repo contract reads
 * (`portsOf` in scripts/poc-contract.ts finds ports in string defaults only) stays a string,
 * and `createKafka` parses it. Fails at start-up exactly as `brokerListEnv` does.
 */
export const brokerListStringEnv = (fallback: string = serviceDefaults.KAFKA_BROKERS) =>
  z
    .string()
    .default(fallback)
    .superRefine((list, ctx) => {
      try {
        parseBrokers(list);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });

export interface KafkaClientOptions {
  /** An array, or a comma-separated list as in KAFKA_BROKERS. */
  brokers: string | readonly string[];
  clientId: string;
  /** Logs go through pino; without a logger kafkajs stays silent (benches print their own). */
  logger?: Logger;
  /** kafkajs level; default WARN (its INFO narrates every group join). */
  level?: logLevel;
  /** Client-level retries (metadata, admin, coordinator lookups). */
  retry?: KafkaConfig['retry'];
  connectionTimeout?: number;
  /** How long one request may wait for its answer before kafkajs times it out (and retries). */
  requestTimeout?: number;
  /**
   * A sink of its own instead of pino (an experiment that counts kafkajs' retry logs);
   * `level` applies to it too. Takes precedence over `logger`.
   */
  logCreator?: logCreator;
  /**
   * How connections are opened (kafkajs' default: plain TCP to the advertised address).
   * Tests pass `proxyBrokerLinks(…).socketFactory` to send one client through toxiproxy.
   */
  socketFactory?: ISocketFactory;
}

/** The one way a POC builds a kafkajs client. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const { brokers, clientId, logger, level = logLevel.WARN, retry } = options;
  const { connectionTimeout, requestTimeout, socketFactory } = options;
  const sink = options.logCreator ?? (logger ? kafkaLogCreator(logger) : undefined);
  return new Kafka({
    clientId,
    brokers: typeof brokers === 'string' ? parseBrokers(brokers) : [...brokers],
    logLevel: sink ? level : logLevel.NOTHING,
    ...(sink ? { logCreator: sink } : {}),
    ...(retry ? { retry } : {}),
    ...(connectionTimeout ? { connectionTimeout } : {}),
    ...(requestTimeout ? { requestTimeout } : {}),
    ...(socketFactory ? { socketFactory } : {}),
  });
}

/** Unique per run, so tests and benches never read each other's topics or groups. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
