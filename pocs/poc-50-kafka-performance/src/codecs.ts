import { promisify } from 'node:util';
import { constants, type ZstdOptions, zstdCompress, zstdDecompress } from 'node:zlib';
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

/** Kafka's default zstd level (compression.zstd.level), set explicitly rather than trusting zlib's default. */
export const ZSTD_LEVEL = 3;
export const zstdOptions: ZstdOptions = {
  params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
};

// node:zlib's callback API, promisified: compression runs on libuv's thread pool, off the event loop.
const zstdCompressAsync = promisify<Buffer, ZstdOptions, Buffer>(zstdCompress);
const zstdDecompressAsync = promisify<Buffer, Buffer>(zstdDecompress);

let registered = false;

/**
 * kafkajs ships gzip only; lz4 and zstd are plug-ins registered in CompressionCodecs.
 * lz4 comes from `lz4-napi` (a prebuilt N-API binary, LZ4 frame format as Kafka expects):
 * the usual plug-in, `kafkajs-lz4`, needs its `lz4` native addon built by an install script
 * that pnpm skips unless the root allows it. zstd comes from `node:zlib` (Node ≥ 22.15), at
 * Kafka's default level 3, so no package is needed for it.
 */
export function registerKafkajsCodecs(): void {
  if (registered) return;
  registered = true;
  // A default import: Node's ESM loader cannot see CompressionCodecs as a named export of kafkajs (CJS).
  const codecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
  codecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
    decompress: async (buffer: Buffer) => decompressFrame(buffer),
  });
  codecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => zstdCompressAsync(encoder.buffer, zstdOptions),
    decompress: (buffer: Buffer) => zstdDecompressAsync(buffer),
  });
}
