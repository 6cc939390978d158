/**
 * The payload every test message carries: its input partition and a sequence number that
 * counts up from 0 within that partition. Output is checked per partition by these numbers,
 * the way Kafka's transactions system test checks its copier's output.
 */
export interface SeqRecord {
  p: number;
  seq: number;
}

export const encodeRecord = (r: SeqRecord): string => JSON.stringify({ p: r.p, seq: r.seq });

export function decodeRecord(value: Buffer | string | null): SeqRecord {
  const parsed = JSON.parse(String(value)) as Partial<SeqRecord>;
  if (!Number.isInteger(parsed.p) || !Number.isInteger(parsed.seq)) {
    throw new Error(`not a sequence record: ${String(value).slice(0, 80)}`);
  }
  return { p: parsed.p!, seq: parsed.seq! };
}

/** The "process" step of read-process-write: tag the record; keep p and seq for checking. */
export const transformValue = (value: Buffer | string | null): string =>
  JSON.stringify({ ...decodeRecord(value), copied: true });

/** Seed layout: message i goes to partition i % partitions with seq ⌊i / partitions⌋. */
export function seedLayout(messages: number, partitions: number): number[] {
  return Array.from(
    { length: partitions },
    (_, p) => Math.floor(messages / partitions) + (p < messages % partitions ? 1 : 0),
  );
}

export interface OutputSummary {
  /** Records read from the output topic (each offset once). */
  records: number;
  /** Distinct (partition, seq) pairs among them. */
  unique: number;
  /** records − unique: copies of a message that is already in the output. */
  duplicates: number;
  /** Input messages with no copy in the output. */
  missing: number;
  /** Records whose seq is not above the previous one in the same output partition. */
  orderViolations: number;
  /** Records in an output partition other than their input partition. */
  misplaced: number;
  /** Partitions whose seqs read exactly 0, 1, 2, … n−1 in offset order. */
  exactPartitions: number;
}

/**
 * Compare what an output topic holds with what was seeded. `byPartition` maps an output
 * partition to its records in offset order; `expected[p]` is the count seeded into p.
 */
export function summarizeOutput(
  expected: readonly number[],
  byPartition: ReadonlyMap<number, readonly SeqRecord[]>,
): OutputSummary {
  let records = 0;
  let orderViolations = 0;
  let misplaced = 0;
  let exactPartitions = 0;
  const seen = new Set<string>();
  for (const [partition, list] of byPartition) {
    records += list.length;
    let previous = -1;
    let exact = list.length === (expected[partition] ?? 0);
    list.forEach((r, i) => {
      seen.add(`${r.p}:${r.seq}`);
      if (r.p !== partition) misplaced++;
      if (r.seq <= previous) orderViolations++;
      if (r.seq !== i || r.p !== partition) exact = false;
      previous = r.seq;
    });
    if (exact) exactPartitions++;
  }
  for (const [partition, count] of expected.entries()) {
    if (count === 0 && !byPartition.has(partition)) exactPartitions++;
  }
  let present = 0;
  expected.forEach((count, p) => {
    for (let seq = 0; seq < count; seq++) if (seen.has(`${p}:${seq}`)) present++;
  });
  const total = expected.reduce((a, b) => a + b, 0);
  return {
    records,
    unique: seen.size,
    duplicates: records - seen.size,
    missing: total - present,
    orderViolations,
    misplaced,
    exactPartitions,
  };
}
