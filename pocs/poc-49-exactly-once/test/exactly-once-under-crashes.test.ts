import { createKafka } from '@pocs/kafka';
import { describe, expect, it } from 'vitest';
import { isThreeBrokerCluster } from '../src/experiments/broker-chaos.ts';
import { runCopyExperiment } from '../src/experiments/copy.ts';
import { clientRetry } from '../src/kafka.ts';
import { brokers, COPIER_TEST_PORT } from './services.ts';

describe('transactional copier under crashes (Kafka transactions_test.py, scaled down)', () => {
  it('10,000 messages, 3 copier SIGKILLs and a broker crash: output = input, 0 duplicates, order kept', async () => {
    const admin = createKafka({ brokers, clientId: 'poc49-test', retry: clientRetry }).admin();
    await admin.connect();
    const cluster = await isThreeBrokerCluster(admin);
    await admin.disconnect();

    const r = await runCopyExperiment({
      mode: 'transactional',
      brokers,
      port: COPIER_TEST_PORT,
      messages: 10_000,
      partitions: 3,
      copierKills: 3,
      brokerKill: true,
      txMaxMessages: 500,
      timeoutMs: 100_000,
    });

    console.info(JSON.stringify({ ...r, output: r.output, concurrentReader: r.concurrentReader }));
    expect(r.copierKills).toBe(3);
    // Every kill hit an open transaction: the crash really left uncommitted output behind.
    expect(r.uncommittedAtKill).toHaveLength(3);
    expect(r.uncommittedAtKill.filter((n) => n === 0)).toEqual([]);
    // The broker crash needs the 3-broker cluster (RF 3); on one broker there is none to kill.
    if (cluster) {
      expect(r.brokerKill).not.toBeNull();
      expect(r.brokerKill!.sentWhileDown).toBeGreaterThan(0);
    } else {
      expect(r.brokerKill).toBeNull();
    }
    expect(r.output).toEqual({
      records: 10_000,
      unique: 10_000,
      duplicates: 0,
      missing: 0,
      orderViolations: 0,
      misplaced: 0,
      exactPartitions: 3,
    });
    expect(r.concurrentReader.duplicates).toBe(0);
    expect(r.concurrentReader.records).toBe(10_000);
    expect(r.concurrentReader.orderViolations).toBe(0);
    // The aborted copies are physically in the log: only read_uncommitted sees them.
    expect(r.readUncommitted.records).toBeGreaterThan(10_000);
    expect(r.readUncommitted.duplicates).toBe(r.readUncommitted.records - 10_000);
  }, 150_000);
});
