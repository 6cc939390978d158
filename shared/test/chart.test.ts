import { describe, expect, it } from 'vitest';
import { renderBarChart, renderLineChart } from '../src/chart.ts';

describe('renderLineChart', () => {
  const svg = renderLineChart({
    title: 'Pool <sweep>',
    xLabel: 'pool size',
    xLog: true,
    panels: [
      {
        title: 'Latency',
        yLabel: 'ms',
        yLog: true,
        markers: [{ x: 4, label: 'rule' }],
        series: [
          {
            name: 'p99',
            points: [
              [2, 500],
              [4, 400],
              [128, 1400],
            ],
          },
          {
            name: 'p50',
            points: [
              [2, 150],
              [4, 110],
              [128, 80],
            ],
          },
        ],
      },
      {
        title: 'Throughput',
        yLabel: 'req/s',
        series: [
          {
            name: 'rps',
            points: [
              [2, 1300],
              [4, 1700],
              [128, 1500],
            ],
          },
        ],
      },
    ],
  });

  it('draws one path and one dot per point for each series, in every panel', () => {
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(9);
  });

  it('escapes text and labels the marker, axes and legend', () => {
    expect(svg).toContain('Pool &lt;sweep&gt;');
    expect(svg).toContain('>rule</text>');
    expect(svg).toContain('>pool size</text>');
    expect(svg).toContain('>p99</text>');
  });

  it('places the log-scaled x axis ends at the plot edges', () => {
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...xs)).toBe(70);
    expect(Math.max(...xs)).toBe(760 - 160);
  });
});

describe('renderBarChart', () => {
  const svg = renderBarChart({
    title: 'Clients <msg/s>',
    panels: [
      {
        title: 'Throughput',
        unit: 'msg/s',
        bars: [
          { label: 'kafkajs', value: 1000 },
          { label: 'platformatic', value: 2000, note: '(2×)' },
        ],
      },
    ],
  });

  it('draws bars in proportion to the largest, labelled with value, unit and note', () => {
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths).toHaveLength(2);
    expect(widths[1]! / widths[0]!).toBeCloseTo(2, 5);
    expect(svg).toContain('2k msg/s (2×)');
    expect(svg).toContain('Clients &lt;msg/s&gt;');
  });
});
