import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderBarChart, renderLineChart } from '@pocs/shared/chart';
import type { ProducerCase } from './cases.ts';
import type { BenchData } from './result-schema.ts';

const rateOf = (list: { id: string; median: { msgsPerSec: number } }[], id: string) =>
  list.find((x) => x.id === id)?.median.msgsPerSec ?? null;

/** Render the bench's SVGs from a result (also from a committed JSON: --charts-from). */
export async function writeCharts(result: BenchData, outDir: string): Promise<string[]> {
  const { producer, consumer } = result;
  const written: string[] = [];
  const svg = async (name: string, content: string) => {
    await writeFile(join(outDir, name), content);
    written.push(join(outDir, name));
  };

  const bySweep = (sweep: ProducerCase['sweep']) => producer.filter((x) => x.sweep === sweep);
  const batchSeries = (['kafkajs', 'platformatic'] as const)
    .map((client) => ({
      name: client === 'platformatic' ? '@platformatic/kafka' : 'kafkajs',
      points: bySweep('batch')
        .filter((x) => x.client === client)
        .map((x) => [x.batchSize, x.median.msgsPerSec] as [number, number]),
    }))
    .filter((s) => s.points.length > 0);
  if (batchSeries.length > 0) {
    await svg(
      'producer-batch.svg',
      renderLineChart({
        title: `Producer throughput by messages per send (256 B, acks=all, ${result.environment.brokers} broker(s))`,
        xLabel: 'messages per send() (log)',
        xLog: true,
        panels: [{ title: 'median msg/s', yLabel: 'msg/s', yLog: true, series: batchSeries }],
      }),
    );
  }
  const sizes = producer.filter(
    (x) => x.client === 'kafkajs' && (x.sweep === 'size' || x.id === 'kafkajs-batch-100'),
  );
  if (sizes.length > 1) {
    sizes.sort((a, b) => a.messageBytes - b.messageBytes);
    await svg(
      'producer-size.svg',
      renderLineChart({
        title: 'kafkajs producer by message size (100 per send, acks=all)',
        xLabel: 'message size, bytes (log)',
        xLog: true,
        panels: [
          {
            title: 'messages per second',
            yLabel: 'msg/s',
            series: [
              { name: 'kafkajs', points: sizes.map((x) => [x.messageBytes, x.median.msgsPerSec]) },
            ],
          },
          {
            title: 'payload megabytes per second',
            yLabel: 'MB/s',
            series: [
              { name: 'kafkajs', points: sizes.map((x) => [x.messageBytes, x.median.mbPerSec]) },
            ],
          },
        ],
      }),
    );
  }
  const bar = (
    id: string,
    label: string,
    list: { id: string; median: { msgsPerSec: number } }[] = producer,
  ) => {
    const v = rateOf(list, id);
    return v === null ? [] : [{ label, value: v }];
  };
  const clientPanels = [
    {
      title: 'Producer, 256 B, acks=all (median msg/s)',
      unit: 'msg/s',
      bars: [
        ...bar('kafkajs-batch-1', 'kafkajs, 1 per send (baseline)'),
        ...bar('platformatic-batch-1', '@platformatic/kafka, 1 per send'),
        ...bar('kafkajs-batch-100', 'kafkajs, 100 per send'),
        ...bar('platformatic-batch-100', '@platformatic/kafka, 100 per send'),
        ...bar('kafkajs-tuned', 'kafkajs tuned'),
        ...bar('platformatic-tuned', '@platformatic/kafka tuned'),
        ...bar('java-defaults', 'Java ProducerPerformance'),
        ...bar('java-tuned', 'Java, linger 10 ms, 256 KB'),
      ],
    },
    {
      title: 'Consumer, 256 B, no per-message work (median msg/s)',
      unit: 'msg/s',
      bars: [
        ...bar('kafkajs-pcc-1-work-0ms', 'kafkajs', consumer),
        ...bar('platformatic', '@platformatic/kafka', consumer),
        ...bar('java', 'Java ConsumerPerformance', consumer),
      ],
    },
  ].filter((panel) => panel.bars.length > 0);
  if (clientPanels.length > 0) {
    await svg(
      'clients.svg',
      renderBarChart({
        title: `Clients side by side, same broker(s), same run`,
        panels: clientPanels,
      }),
    );
  }
  const tuningPanels = [
    ...(['kafkajs', 'platformatic'] as const).map((client) => ({
      title: `${client === 'platformatic' ? '@platformatic/kafka' : 'kafkajs'} compression, 1 KiB JSON, 1000 per send (msg/s; codec size ratio)`,
      unit: 'msg/s',
      bars: bySweep('compression')
        .filter((x) => x.client === client)
        .map((x) => ({
          label: x.compression,
          value: x.median.msgsPerSec,
          note: `(×${x.codecRatio} size)`,
        })),
    })),
    {
      title: 'kafkajs acks, 256 B, 100 per send (msg/s)',
      unit: 'msg/s',
      bars: [
        ...bar('kafkajs-acks-0', 'acks=0'),
        ...bar('kafkajs-acks-1', 'acks=1 (leader)'),
        ...bar('kafkajs-batch-100', 'acks=all (-1)'),
      ],
    },
    {
      title: 'kafkajs consumer: partitionsConsumedConcurrently (msg/s)',
      unit: 'msg/s',
      bars: consumer
        .filter((x) => x.client === 'kafkajs')
        .map((x) => ({
          label: `pCC ${x.partitionsConsumedConcurrently}, ${x.workMs} ms work`,
          value: x.median.msgsPerSec,
        })),
    },
  ].filter((panel) => panel.bars.length > 0);
  if (tuningPanels.length > 0 && result.settings.suite !== 'smoke') {
    await svg(
      'tuning.svg',
      renderBarChart({
        title: 'Tuning knobs (kafkajs; compression for both clients)',
        panels: tuningPanels,
      }),
    );
  }
  return written;
}
