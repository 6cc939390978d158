import {
  init as initZstd,
  compress as zstdCompress,
  decompress as zstdDecompress,
} from '@bokuweb/zstd-wasm';
import kafkajs, { CompressionTypes } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';

export const codecNames = ['none', 'gzip', 'lz4', 'zstd'] as const;
export type CodecName = (typeof codecNames)[number];

export const kafkajsCompression: Record<CodecName, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Kafka's default zstd level (compression.zstd.level). */
const ZSTD_LEVEL = 3;

let registered: Promise<void> | undefined;

/**
 * kafkajs ships gzip only; lz4 and zstd are plug-ins registered in CompressionCodecs.
 * The usual plug-ins do not work here: `kafkajs-lz4` needs its `lz4` native addon built
 * by an install script (pnpm skips it unless the root allows it) and `@kafkajs/zstd`'s
 * `cppzst` addon does not compile against Node 20's headers (C++17 required). So:
 * lz4 via `lz4-napi` (prebuilt N-API binary, LZ4 frame format as Kafka expects) and
 * zstd via `@bokuweb/zstd-wasm` (WebAssembly, no build step).
 */
export function registerKafkajsCodecs(): Promise<void> {
  registered ??= (async () => {
    await initZstd();
    // A default import: Node's ESM loader cannot see CompressionCodecs as a named export of kafkajs (CJS).
    const codecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
    codecs[CompressionTypes.LZ4] = () => ({
      compress: async (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
      decompress: async (buffer: Buffer) => decompressFrame(buffer),
    });
    codecs[CompressionTypes.ZSTD] = () => ({
      compress: async (encoder: { buffer: Buffer }) =>
        Buffer.from(zstdCompress(encoder.buffer, ZSTD_LEVEL)),
      decompress: async (buffer: Buffer) => Buffer.from(zstdDecompress(buffer)),
    });
  })();
  return registered;
}
