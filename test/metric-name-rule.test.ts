import { describe, expect, it } from 'vitest';
import {
  checkMetricName,
  type MetricShape,
  scanMetricDefinitions,
} from '../scripts/metric-names.ts';

const rulesOf = (m: MetricShape) => checkMetricName(m).map((v) => v.rule);

describe('checkMetricName', () => {
  it.each<MetricShape>([
    { type: 'counter', name: 'orders_total', help: 'Orders answered, by result' },
    { type: 'counter', name: 'jobs_shed_total', help: 'Jobs refused with 429 (count)' },
    { type: 'counter', name: 'process_cpu_seconds_total', help: 'CPU time spent, in seconds' },
    {
      type: 'histogram',
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds',
      labelNames: ['method', 'route', 'status_code'],
    },
    { type: 'summary', name: 'message_size_bytes', help: 'Message sizes, in bytes' },
    { type: 'gauge', name: 'jobs_queue_depth', help: 'Jobs waiting for a worker (count)' },
    { type: 'gauge', name: 'cache_hit_ratio', help: 'Hits per look-up, 0–1' },
    {
      type: 'gauge',
      name: 'circuit_breaker_state',
      help: '0 closed, 1 half-open, 2 open',
      labelNames: ['dependency'],
    },
    { type: 'gauge', name: 'restore_duration_seconds', help: 'Last restore, in seconds' },
  ])('accepts $type $name', (metric) => {
    expect(checkMetricName(metric)).toEqual([]);
  });

  it('refuses a counter without _total', () => {
    expect(rulesOf({ type: 'counter', name: 'orders_shed', help: 'Orders shed' })).toEqual([
      'counter-total',
    ]);
  });

  it('refuses a histogram in milliseconds, with the base unit to use', () => {
    const violations = checkMetricName({
      type: 'histogram',
      name: 'http_request_duration_ms',
      help: 'Request duration in ms',
    });
    expect(violations.map((v) => v.rule)).toEqual([
      'base-units',
      'histogram-unit',
      'time-in-seconds',
    ]);
    expect(violations[0]!.message).toBe('"_ms" is not a base unit: use seconds');
  });

  it('refuses a histogram with no unit and a gauge of time in minutes', () => {
    expect(
      rulesOf({ type: 'histogram', name: 'batch_records', help: 'Records per batch' }),
    ).toEqual(['histogram-unit']);
    expect(rulesOf({ type: 'gauge', name: 'lag_age_minutes', help: 'Age of the lag' })).toEqual([
      'base-units',
      'time-in-seconds',
    ]);
  });

  it('refuses a POC number in the name', () => {
    const metric: MetricShape = { type: 'counter', name: 'poc46_orders_total', help: 'Orders' };
    expect(rulesOf(metric)).toEqual(['no-poc-prefix']);
    expect(rulesOf({ type: 'gauge', name: 'orders_poc_46_open', help: 'Open' })).toEqual([
      'no-poc-prefix',
    ]);
  });

  it('refuses names that are not snake_case or are one word', () => {
    expect(rulesOf({ type: 'gauge', name: 'queueDepth', help: 'Depth' })).toEqual(['snake-case']);
    expect(rulesOf({ type: 'gauge', name: 'depth', help: 'Depth' })).toEqual(['snake-case']);
    expect(rulesOf({ type: 'gauge', name: 'jobs__depth', help: 'Depth' })).toEqual(['snake-case']);
  });

  it('keeps _total for counters', () => {
    expect(rulesOf({ type: 'gauge', name: 'jobs_shed_total', help: 'Shed' })).toEqual([
      'total-only-on-counters',
    ]);
  });

  it('wants help text, and the unit in it for seconds and bytes', () => {
    expect(rulesOf({ type: 'counter', name: 'orders_total' })).toEqual(['help']);
    expect(rulesOf({ type: 'counter', name: 'orders_total', help: '  ' })).toEqual(['help']);
    expect(rulesOf({ type: 'counter', name: 'orders_total', help: 'orders_total' })).toEqual([
      'help',
    ]);
    expect(
      rulesOf({ type: 'histogram', name: 'db_query_duration_seconds', help: 'Query time' }),
    ).toEqual(['help-unit']);
    expect(rulesOf({ type: 'gauge', name: 'heap_used_bytes', help: 'Heap in use' })).toEqual([
      'help-unit',
    ]);
  });

  it('refuses reserved, unbounded and badly named labels', () => {
    const labels = (labelNames: string[]) =>
      rulesOf({ type: 'counter', name: 'orders_total', help: 'Orders', labelNames });
    expect(labels(['poc'])).toEqual(['label-name']);
    expect(labels(['le'])).toEqual(['label-name']);
    expect(labels(['statusCode'])).toEqual(['label-name']);
    expect(labels(['order_id'])).toEqual(['label-bounded']);
    expect(labels(['outcome', 'route'])).toEqual([]);
  });
});

describe('scanMetricDefinitions', () => {
  it('finds metrics by the classes imported from prom-client or @pocs/shared/metrics', () => {
    const source = [
      "import client from 'prom-client';", // 1
      "import { Counter as C, Histogram, type Registry } from '@pocs/shared/metrics';",
      "import { Gauge } from './not-prom-client.ts';",
      '',
      "const NAME = 'jobs_queue_depth';", // 5
      'export function metrics(registry: Registry, prefix: string) {',
      "  new C({ name: 'orders_shed', help: 'Orders shed', labelNames: ['outcome'] as const });",
      '  new Histogram({',
      "    name: 'http_request_duration_ms',",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source under test
      '    help: `Request duration, ${prefix}`,', // 10
      '  });',
      '  new client.Gauge({ name: NAME, help: "Jobs" + " waiting" });',
      "  new Gauge({ name: 'not_a_prom_client_gauge' });",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source under test
      '  new client.Summary({ name: `${prefix}_seconds`, help: "Seconds" });',
      '}',
    ].join('\n');
    const { definitions, problems } = scanMetricDefinitions('src/metrics.ts', source);
    expect(definitions).toEqual([
      {
        file: 'src/metrics.ts',
        line: 7,
        type: 'counter',
        name: 'orders_shed',
        help: 'Orders shed',
        labelNames: ['outcome'],
      },
      {
        file: 'src/metrics.ts',
        line: 9,
        type: 'histogram',
        name: 'http_request_duration_ms',
        help: 'Request duration, …',
        labelNames: undefined,
      },
      {
        file: 'src/metrics.ts',
        line: 12,
        type: 'gauge',
        name: 'jobs_queue_depth',
        help: 'Jobs waiting',
        labelNames: undefined,
      },
    ]);
    expect(problems).toEqual([
      {
        file: 'src/metrics.ts',
        line: 14,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source under test
        metric: '`${prefix}_seconds`',
        rule: 'static-name',
        message:
          "the summary's name is not a string literal (or a const in this file), so no check can read it",
      },
    ]);
  });

  it('ignores files that import no metric class', () => {
    const source = "class Counter { constructor(o: object) {} }\nnew Counter({ name: 'x' });";
    expect(scanMetricDefinitions('a.ts', source)).toEqual({ definitions: [], problems: [] });
  });
});
