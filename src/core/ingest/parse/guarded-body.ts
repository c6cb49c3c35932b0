import { IngestError } from "../errors";

/**
 * Reads a download chunk by chunk, failing as *transient* when it stalls for `idleTimeoutMs`, or
 * ends before `contentLength` bytes (a connection cut mid-body), so that a partial download is
 * retried instead of being taken for a malformed file.
 */
export async function* guardedChunks(
  body: ReadableStream<Uint8Array>,
  options: { contentLength: number | null; idleTimeoutMs: number; what: string },
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
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
      yield chunk.value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (options.contentLength !== null && received < options.contentLength) {
    throw new IngestError("transient", "truncated", `${options.what}: download ended after ${received} of ${options.contentLength} bytes`);
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Passes chunks through, gunzipping them when the data starts with the gzip magic bytes. */
export async function* gunzipIfNeeded(chunks: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest = async function* () {
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  };
  if (!(first.value[0] === GZIP_MAGIC[0] && first.value[1] === GZIP_MAGIC[1])) {
    yield* rest();
    return;
  }
  const remaining = rest();
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await remaining.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await remaining.return(undefined);
    },
  });
  const reader = source.pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>).getReader();
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        // A download problem surfaces here as the source's own (transient) error.
        if (error instanceof IngestError) throw error;
        throw new IngestError("permanent", "malformed-gzip", `${what}: not a valid gzip stream: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
