import { renderLineChart } from '@pocs/shared/chart';

export interface ThroughputRow {
  variant: string;
  messagesPerCommit: number;
  msgPerSec: number;
  msPerCommit: number;
}

/** The bench's SVG, from its JSON rows (so `--chart-only` can redraw committed results). */
export function renderThroughputChart({
  rows,
  brokers,
  rounds,
}: {
  rows: ThroughputRow[];
  brokers: number;
  rounds: number;
}): string {
  const variants = [...new Set(rows.map((r) => r.variant))];
  const series = (pick: (r: ThroughputRow) => number) =>
    variants.map((variant) => ({
      // The legend column is narrow.
      name: variant.replace('transactional, ', 'tx, '),
      points: rows
        .filter((r) => r.variant === variant)
        .map((r) => [r.messagesPerCommit, pick(r)] as [number, number]),
    }));
  return renderLineChart({
    title: `Copy throughput by messages per commit (${brokers === 3 ? '3 brokers, RF 3' : '1 broker'}, median of ${rounds})`,
    xLabel: 'messages per transaction / per offset commit',
    xLog: true,
    panels: [
      { title: 'throughput', yLabel: 'msg/s', series: series((r) => r.msgPerSec) },
      {
        title: 'time per commit (copy time ÷ commits)',
        yLabel: 'ms',
        series: series((r) => r.msPerCommit),
      },
    ],
  });
}
