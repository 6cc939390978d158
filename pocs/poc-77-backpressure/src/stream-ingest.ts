import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sleep } from '@pocs/shared/wait';

export type StreamVariant = 'ignore-backpressure' | 'pipeline';

export interface StreamIngestResult {
  variant: StreamVariant;
  produced: number;
  consumed: number;
  /** Most bytes the consumer's buffer held at once. */
  maxBufferedBytes: number;
  /** maxBufferedBytes beyond highWaterMark: 0 means the producer paused in time. */
  bytesAboveHighWaterMark: number;
  producedPerSec: number;
}

/**
 * Node stream backpressure, in one process: a producer that can make `producerPerSec`
 * chunks feeds a consumer that handles `consumerPerSec`. `ignore-backpressure` is the
 * classic bug, `source.on('data', (c) => dest.write(c))`-style: write()'s `false` is ignored
 * and the consumer's buffer grows without bound. `pipeline` pulls from the producer only
 * when the consumer's buffer is under its highWaterMark, so the producer pauses.
 */
export async function runStreamIngest({
  variant,
  producerPerSec,
  consumerPerSec,
  chunkBytes,
  highWaterMarkBytes,
  durationMs,
}: {
  variant: StreamVariant;
  producerPerSec: number;
  consumerPerSec: number;
  chunkBytes: number;
  highWaterMarkBytes: number;
  durationMs: number;
}): Promise<StreamIngestResult> {
  let produced = 0;
  let consumed = 0;
  let maxBufferedBytes = 0;
  const consumer = new Writable({
    highWaterMark: highWaterMarkBytes,
    write(_chunk: Buffer, _encoding, callback) {
      maxBufferedBytes = Math.max(maxBufferedBytes, this.writableLength);
      setTimeout(() => {
        consumed++;
        callback();
      }, 1000 / consumerPerSec);
    },
  });
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  async function* produce() {
    while (performance.now() < deadline) {
      await sleep(1000 / producerPerSec);
      produced++;
      yield Buffer.alloc(chunkBytes, 1);
    }
  }

  if (variant === 'pipeline') {
    await pipeline(produce(), consumer);
  } else {
    for await (const chunk of produce()) {
      consumer.write(chunk); // the bug: `false` here means "stop", and nobody listens
      maxBufferedBytes = Math.max(maxBufferedBytes, consumer.writableLength);
    }
    // Draining what piled up would take (produced − consumed) / consumerPerSec seconds.
    consumer.destroy();
  }
  const elapsedSec = (performance.now() - startedAt) / 1000;
  return {
    variant,
    produced,
    consumed,
    maxBufferedBytes,
    bytesAboveHighWaterMark: Math.max(0, maxBufferedBytes - highWaterMarkBytes),
    producedPerSec: Math.round(produced / elapsedSec),
  };
}
