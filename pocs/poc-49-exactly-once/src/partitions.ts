/** Offsets (or counts) per partition, with the comparisons the harness needs. */
export class Partitions extends Map<number, number> {
  total(): number {
    let sum = 0;
    for (const v of this.values()) sum += v;
    return sum;
  }

  /** Every partition of `target` is reached (≥) here. */
  reaches(target: ReadonlyMap<number, number>): boolean {
    for (const [p, offset] of target) if ((this.get(p) ?? 0) < offset) return false;
    return true;
  }
}
