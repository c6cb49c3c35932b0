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
  const remaining = rest();
  // The runtime's DecompressionStream hands a source error back as a plain Error (not the
  // IngestError thrown here), so the download's own error is kept to keep its classification.
  let downloadError: unknown;
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await remaining.next();
      } catch (error) {
        downloadError = error;
        throw error;
      }
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
        // A download problem surfaces here too: it keeps its own (transient) classification.
        if (downloadError !== undefined) throw downloadError;
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
