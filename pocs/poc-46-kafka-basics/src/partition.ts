/**
 * Key → partition, exactly as the Java client's default partitioner (and kafkajs'
 * DefaultPartitioner) computes it: murmur2 of the key bytes, made positive, modulo the
 * partition count. Same key, same partition count → same partition, so all events of one
 * customer land in one partition, in order. Add partitions and the mapping moves.
 */

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (data[i4]! & 0xff) |
      ((data[i4 + 1]! & 0xff) << 8) |
      ((data[i4 + 2]! & 0xff) << 16) |
      ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const left = length % 4;
  if (left === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (left >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (left >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clear the sign bit (not Math.abs, which fails for MIN_VALUE). */
export const toPositive = (n: number): number => n & 0x7fffffff;

export function partitionForKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a whole number ≥ 1, got ${partitions}`);
  }
  return toPositive(murmur2(Buffer.from(key, 'utf8'))) % partitions;
}
