import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { findJava, kafkaLibsDir } from '@pocs/infra/kafka';
import { cacheRootFrom } from '@pocs/infra/paths';
import type { ProducerCase } from './cases.ts';
import { type RoundResult, roundResult } from './run-producer.ts';

export interface JavaTool {
  java: string;
  libsDir: string;
  toolsJar: string;
  javaVersion: string;
  kafkaVersion: string;
}

export class JavaToolMissingError extends Error {
  override name = 'JavaToolMissingError';
}

/**
 * The Kafka jars `pnpm services install kafka` fetched for the pinned broker version
 * (<cache>/kafka-<KAFKA_VERSION>/libs), so the perf tool is the brokers' own version and
 * a leftover older install in the cache is never picked.
 */
export function defaultLibsDir(env = process.env): string {
  return env.KAFKA_LIBS_DIR || kafkaLibsDir(cacheRootFrom(env));
}

function run(command: string, args: string[], timeoutMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Find java and kafka-tools-<version>.jar (ProducerPerformance, ConsumerPerformance), or
 * throw a message that says what is missing and how to get it.
 */
export async function findJavaTool(
  libsDir: string | undefined,
  env = process.env,
): Promise<JavaTool> {
  const java = findJava(env);
  const version = java ? await run(java, ['-version'], 30_000).catch(() => undefined) : undefined;
  if (!java || version?.code !== 0) {
    throw new JavaToolMissingError(
      `java not found or not runnable (tried ${java ?? '$JAVA_HOME/bin/java and PATH'}): install a JRE (apt-get install default-jre-headless) or set JAVA_HOME, or pass --no-java`,
    );
  }
  const jars = libsDir && existsSync(libsDir) ? readdirSync(libsDir) : [];
  const toolsJar = jars.find((j) => /^kafka-tools-\d[\w.-]*\.jar$/.test(j));
  if (!toolsJar) {
    throw new JavaToolMissingError(
      `kafka-tools jar (org.apache.kafka.tools.ProducerPerformance) not found in ${libsDir ?? '(no Kafka libs dir)'}: ` +
        'run `pnpm services install kafka`, or point --kafka-libs / KAFKA_LIBS_DIR at a Kafka libs folder, or pass --no-java',
    );
  }
  return {
    java,
    libsDir: libsDir as string,
    toolsJar,
    javaVersion: (version.stderr.split('\n')[0] ?? '').trim(),
    kafkaVersion: /^kafka-tools-(.+)\.jar$/.exec(toolsJar)?.[1] ?? 'unknown',
  };
}

const jvm = (tool: JavaTool) => ['-Xmx512m', '-cp', `${tool.libsDir}/*`];

/** kafka-producer-perf-test: the Java producer sending as fast as it can (--throughput -1). */
export async function runJavaProducer(
  tool: JavaTool,
  c: ProducerCase,
  { brokers, topic, records }: { brokers: string; topic: string; records: number },
): Promise<RoundResult> {
  const props = {
    'bootstrap.servers': brokers,
    acks: c.acks === -1 ? 'all' : String(c.acks),
    'compression.type': c.compression,
    ...c.javaProps,
  };
  const { code, stdout, stderr } = await run(
    tool.java,
    [
      ...jvm(tool),
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(c.messageBytes),
      '--throughput',
      '-1',
      '--producer-props',
      ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
    ],
    300_000,
  );
  // Final line: "N records sent, X records/sec (Y MB/sec), ... avg latency ..."
  const final = stdout
    .split('\n')
    .reverse()
    .find((l) => /records sent, [\d.]+ records\/sec/.test(l) && l.includes('50th'));
  const m = final && /^(\d+) records sent, ([\d.]+) records\/sec/.exec(final);
  if (code !== 0 || !m) {
    throw new Error(
      `ProducerPerformance failed (exit ${code}):\n${stdout.slice(-1500)}\n${stderr.slice(-1500)}`,
    );
  }
  const messages = Number(m[1]);
  const seconds = messages / Number(m[2]);
  return roundResult(messages, messages * c.messageBytes, seconds);
}

/** kafka-consumer-perf-test: fetch.nMsg.sec, i.e. after the group joined, like the Node meters. */
export async function runJavaConsumer(
  tool: JavaTool,
  {
    brokers,
    topic,
    group,
    messages,
    messageBytes,
  }: { brokers: string; topic: string; group: string; messages: number; messageBytes: number },
): Promise<RoundResult> {
  const { code, stdout, stderr } = await run(
    tool.java,
    [
      ...jvm(tool),
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      brokers,
      '--topic',
      topic,
      '--group',
      group,
      '--messages',
      String(messages),
      '--timeout',
      '30000',
    ],
    300_000,
  );
  const lines = stdout.split('\n').filter((l) => l.includes(','));
  const header = lines.findIndex((l) => l.includes('fetch.nMsg.sec'));
  const cells = (i: number) => (lines[i] ?? '').split(',').map((s) => s.trim());
  const names = cells(header);
  const values = cells(header + 1);
  const get = (name: string) => Number(values[names.indexOf(name)]);
  const consumed = get('data.consumed.in.nMsg');
  const fetchMs = get('fetch.time.ms');
  if (code !== 0 || header < 0 || !(consumed > 0) || !(fetchMs > 0)) {
    throw new Error(
      `ConsumerPerformance failed (exit ${code}):\n${stdout.slice(-1500)}\n${stderr.slice(-1500)}`,
    );
  }
  return roundResult(consumed, consumed * messageBytes, fetchMs / 1000);
}
