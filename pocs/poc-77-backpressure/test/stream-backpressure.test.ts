import { describe, expect, it } from 'vitest';
import { runStreamIngest } from '../src/stream-ingest.ts';

const scenario = {
  producerPerSec: 500,
  consumerPerSec: 50,
  chunkBytes: 64 * 1024,
  highWaterMarkBytes: 256 * 1024,
  durationMs: 1_500,
};

describe('node stream backpressure: a producer 10× faster than its consumer', () => {
  it('ignoring write() === false, the consumer buffers far beyond its highWaterMark', async () => {
    const r = await runStreamIngest({ ...scenario, variant: 'ignore-backpressure' });
    expect(r.bytesAboveHighWaterMark).toBeGreaterThan(0);
    // Everything produced and not consumed sits in memory.
    expect(r.maxBufferedBytes).toBeGreaterThanOrEqual(
      (r.produced - r.consumed - 1) * scenario.chunkBytes,
    );
  });

  it('with pipeline, the buffer never passes highWaterMark and the producer slows to the consumer', async () => {
    const r = await runStreamIngest({ ...scenario, variant: 'pipeline' });
    expect(r.bytesAboveHighWaterMark).toBe(0);
    expect(r.produced - r.consumed).toBe(0); // pipeline resolves only after the consumer drained
    expect(r.producedPerSec).toBeLessThanOrEqual(scenario.consumerPerSec + 5);
  });
});
