import { Gunzip } from "fflate";
import { IngestError } from "../errors";
import { formatCount, limitExceeded } from "../limits";

const fileTooLarge = (what: string, maxBytes: number, detail: string) =>
  limitExceeded("file-too-large", `${what}: ${detail}, over the cap of ${formatCount(maxBytes)} bytes per file`);

/**
 * Reads a download chunk by chunk, failing as *transient* when it stalls for `idleTimeoutMs`, or
 * ends before `contentLength` bytes (a connection cut mid-body), so that a partial download is
 * retried instead of being taken for a malformed file. A body larger than `maxBytes` (announced
 * by its Content-Length, or as it arrives) is a permanent `file-too-large`, refused before a byte
 * is read when the length is announced.
 *
 * Reads 64 KiB at a time where the body is a byte stream (a BYOB reader: fetch bodies in
 * workerd, Deno and Node), else chunks as the stream hands them: workerd's default reader hands
 * a fetch body over in 4 KiB chunks, and the per-chunk cost of the stream and of this loop was a
 * sixth of the consumer's time (docs/BENCHMARKS.md).
 */
export async function* guardedChunks(
  body: ReadableStream<Uint8Array>,
  options: { contentLength: number | null; idleTimeoutMs: number; what: string; maxBytes?: number },
): AsyncGenerator<Uint8Array> {
  const maxBytes = options.maxBytes ?? Infinity;
  if (options.contentLength !== null && options.contentLength > maxBytes) {
    await body.cancel().catch(() => undefined);
    throw fileTooLarge(options.what, maxBytes, `the object is ${formatCount(options.contentLength)} bytes`);
  }
  const reader = chunkReader(body);
  let received = 0;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new IngestError("transient", "timeout", `${options.what}: no data for ${options.idleTimeoutMs} ms`)),
          options.idleTimeoutMs,
        );
      });
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), idle]);
      } catch (error) {
        if (error instanceof IngestError) throw error;
        throw new IngestError("transient", "network", `${options.what}: download failed after ${received} bytes: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) break;
      received += chunk.value.byteLength;
      if (received > maxBytes) throw fileTooLarge(options.what, maxBytes, `the download passed ${formatCount(maxBytes)} bytes`);
      yield chunk.value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (options.contentLength !== null && received < options.contentLength) {
    throw new IngestError("transient", "truncated", `${options.what}: download ended after ${received} of ${options.contentLength} bytes`);
  }
}

/** Bytes asked for per read of a byte stream. */
export const READ_BYTES = 64 * 1024;

interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(): Promise<void>;
}

/** A BYOB reader filling fresh 64 KiB buffers when `body` is a byte stream, else its default reader. */
export function chunkReader(body: ReadableStream<Uint8Array>): ChunkReader {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a TypeError): read it as it comes.
  }
  if (byob) {
    const reader = byob;
    // A fresh buffer per read: the chunk is handed on and may be kept (an unfinished record).
    return { read: () => reader.read(new Uint8Array(READ_BYTES)) as Promise<ReadableStreamReadResult<Uint8Array>>, cancel: () => reader.cancel() };
  }
  const reader = body.getReader();
  return { read: () => reader.read(), cancel: () => reader.cancel() };
}

const GZIP_MAGIC = [0x1f, 0x8b];
/**
 * Compressed bytes inflated at a time. DEFLATE expands at most ~1,032 times, so one step yields
 * at most ~4 MiB, and the caps below are checked after every step.
 */
const GZIP_STEP_BYTES = 4 * 1024;

export interface GunzipLimits {
  /** Most decompressed bytes; more is a permanent `file-too-large`. */
  maxBytes: number;
  /** Highest decompressed ÷ compressed ratio; more is a permanent `gzip-ratio-too-high` … */
  maxRatio: number;
  /** … once this many bytes have been decompressed. */
  ratioGraceBytes: number;
}

const malformedGzip = (what: string, error: unknown) =>
  new IngestError("permanent", "malformed-gzip", `${what}: not a valid gzip stream: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

/**
 * Passes chunks through, gunzipping them when the data starts with the gzip magic bytes. A gzip
 * bomb is refused as it inflates: past `limits.maxBytes` decompressed bytes, or (sooner) when
 * the output outgrows the input by more than `limits.maxRatio`.
 *
 * fflate inflates here rather than the runtime's DecompressionStream: workerd's has no
 * backpressure (it inflates everything written to it into memory at once; see the TODO in
 * workerd's src/workerd/api/streams/compression.c++), so a small bomb piped into it exhausts the
 * isolate's 128 MB before a single byte could be counted. fflate inflates step by step, in the
 * caller's hands.
 */
export async function* gunzipIfNeeded(chunks: AsyncIterable<Uint8Array>, what: string, limits?: GunzipLimits): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  // A download may start with a 1-byte (or empty) chunk: gather the two magic bytes first.
  const head: Uint8Array[] = [];
  const magic: number[] = [];
  while (magic.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    magic.push(...next.value.subarray(0, 2 - magic.length));
  }
  if (head.length === 0) return;
  const rest = async function* () {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  };
  if (!(magic[0] === GZIP_MAGIC[0] && magic[1] === GZIP_MAGIC[1])) {
    yield* rest();
    return;
  }

  const inflater = new Gunzip();
  let output: Uint8Array[] = [];
  inflater.ondata = (data) => {
    if (data.byteLength > 0) output.push(data);
  };
  let compressed = 0;
  let inflated = 0;
  /** Inflates one step; a failure is the data's (a download failure surfaces from `rest()` as is). */
  const step = (input: Uint8Array, final: boolean) => {
    compressed += input.byteLength;
    try {
      inflater.push(input, final);
    } catch (error) {
      throw malformedGzip(what, error);
    }
    const ready = output;
    output = [];
    for (const data of ready) {
      inflated += data.byteLength;
      if (limits && inflated > limits.maxBytes) throw fileTooLarge(what, limits.maxBytes, `gzip data inflates past ${formatCount(limits.maxBytes)} bytes`);
      if (limits && inflated > limits.ratioGraceBytes && inflated > compressed * limits.maxRatio) {
        throw limitExceeded(
          "gzip-ratio-too-high",
          `${what}: gzip data inflates more than ${limits.maxRatio} times (${formatCount(compressed)} bytes gave ${formatCount(inflated)}), the cap for compressed files`,
        );
      }
    }
    return ready;
  };
  for await (const chunk of rest()) {
    for (let at = 0; at < chunk.byteLength; at += GZIP_STEP_BYTES) yield* step(chunk.subarray(at, at + GZIP_STEP_BYTES), false);
  }
  yield* step(new Uint8Array(0), true);
}
