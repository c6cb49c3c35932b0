// The download guard (short bodies and stalls are transient) and gzip detection/decompression.
import { describe, expect, it } from "vitest";
import { IngestError } from "../../../../src/core/ingest/errors";
import { guardedChunks, gunzipIfNeeded, type GunzipLimits } from "../../../../src/core/ingest/parse/guarded-body";
import ios from "../../../fixtures/ios.top100.json";

const encoder = new TextEncoder();
const WHAT = "s3://bucket/daily/file.json";

/** A body that delivers `chunks`, then ends (or errors with `fail`, or stalls forever). */
function body(chunks: Uint8Array[], end: "close" | "stall" | Error = "close") {
  const state = { cancelled: false };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) return controller.enqueue(chunks[i++]!);
      if (end === "close") return controller.close();
      if (end === "stall") return new Promise<void>(() => undefined);
      controller.error(end);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Byte-wise equality without a huge diff when it fails. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes") {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const firstDifference = actual.findIndex((b, i) => b !== expected[i]);
  expect(firstDifference, `${what}: first differing byte`).toBe(-1);
}

async function failure(chunks: AsyncIterable<Uint8Array>): Promise<IngestError> {
  try {
    await drain(chunks);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  }
  throw new Error("expected the body to fail");
}

const split = (bytes: Uint8Array, ...at: number[]) => [0, ...at, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const compressed = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

const payload = encoder.encode(JSON.stringify(ios));

async function* from(chunks: Uint8Array[]) {
  yield* chunks;
}

describe("guardedChunks", () => {
  it("passes a complete body through unchanged", async () => {
    const { stream } = body(split(payload, 10, 5000, 70_000));
    expectSameBytes(await drain(guardedChunks(stream, { contentLength: payload.length, idleTimeoutMs: 1_000, what: WHAT })), payload);
  });

  it("accepts a body of unknown length", async () => {
    const { stream } = body(split(payload, 3));
    expectSameBytes(await drain(guardedChunks(stream, { contentLength: null, idleTimeoutMs: 1_000, what: WHAT })), payload);
  });

  it("a body shorter than its Content-Length is a transient `truncated` failure", async () => {
    const { stream } = body(split(payload.subarray(0, 1_000), 400));
    const error = await failure(guardedChunks(stream, { contentLength: payload.length, idleTimeoutMs: 1_000, what: WHAT }));
    expect(error).toMatchObject({ kind: "transient", code: "truncated" });
    expect(error.message).toContain(`1000 of ${payload.length} bytes`);
    expect(error.message).toContain(WHAT);
  });

  it("a body that stalls is a transient `timeout` failure, and the download is cancelled", async () => {
    const { stream, state } = body([payload.subarray(0, 100)], "stall");
    const started = Date.now();
    const error = await failure(guardedChunks(stream, { contentLength: payload.length, idleTimeoutMs: 150, what: WHAT }));
    expect(error).toMatchObject({ kind: "transient", code: "timeout" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(state.cancelled).toBe(true);
  });

  it("a connection error mid-body is a transient `network` failure", async () => {
    const { stream } = body([payload.subarray(0, 100)], new TypeError("Network connection lost."));
    const error = await failure(guardedChunks(stream, { contentLength: payload.length, idleTimeoutMs: 1_000, what: WHAT }));
    expect(error).toMatchObject({ kind: "transient", code: "network" });
    expect(error.message).toContain("after 100 bytes");
  });

  it("the idle timer restarts with every chunk: a slow but steady body is fine", async () => {
    let i = 0;
    const chunks = split(payload, 100, 200, 300);
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i === chunks.length) return controller.close();
        await new Promise((r) => setTimeout(r, 60));
        controller.enqueue(chunks[i++]!);
      },
    });
    expectSameBytes(await drain(guardedChunks(stream, { contentLength: payload.length, idleTimeoutMs: 150, what: WHAT })), payload);
  });
});

describe("gunzipIfNeeded", () => {

  it("passes plain data through untouched", async () => {
    const chunks = split(payload, 1, 2, 9_000);
    const out: Uint8Array[] = [];
    for await (const chunk of gunzipIfNeeded(from(chunks), WHAT)) out.push(chunk);
    expect(out.length).toBe(chunks.length);
    out.forEach((chunk, i) => expect(chunk === chunks[i] || chunk.buffer === chunks[i]!.buffer).toBe(true));
    expectSameBytes(await drain(from(out)), payload);
  });

  it("detects gzip by its magic bytes and decompresses it, whatever the chunk boundaries", async () => {
    const compressed = await gzip(payload);
    expect([compressed[0], compressed[1]]).toEqual([0x1f, 0x8b]);
    // [0, …] starts with an empty chunk; [1] puts the two magic bytes in different chunks.
    for (const cuts of [[], [0, 1], [1], [2], [1, 2], [5, 100], [compressed.length - 1]]) {
      expectSameBytes(await drain(gunzipIfNeeded(from(split(compressed, ...cuts)), WHAT)), payload, `cuts ${cuts.join(",")}`);
    }
  });

  it("an empty body stays empty", async () => {
    expect(await drain(gunzipIfNeeded(from([]), WHAT))).toEqual(new Uint8Array(0));
  });

  it("a corrupt gzip stream is a permanent `malformed-gzip` failure", async () => {
    const corrupt = await gzip(payload);
    corrupt.fill(0x00, 20, 60);
    const error = await failure(gunzipIfNeeded(from(split(corrupt, 1_000)), WHAT));
    expect(error).toMatchObject({ kind: "permanent", code: "malformed-gzip" });
    expect(error.message).toContain(WHAT);
  });

  it("gzip data that ends early (but downloaded completely) is a permanent failure", async () => {
    const compressed = await gzip(payload);
    const error = await failure(gunzipIfNeeded(from([compressed.subarray(0, Math.floor(compressed.length / 2))]), WHAT));
    expect(error).toMatchObject({ kind: "permanent", code: "malformed-gzip" });
  });

  it("a download cut short under gzip stays a transient failure, not a malformed file", async () => {
    const compressed = await gzip(payload);
    const { stream } = body(split(compressed.subarray(0, 2_000), 500));
    const error = await failure(gunzipIfNeeded(guardedChunks(stream, { contentLength: compressed.length, idleTimeoutMs: 1_000, what: WHAT }), WHAT));
    expect(error).toMatchObject({ kind: "transient", code: "truncated" });
  });

  it("a connection lost under gzip stays a transient network failure", async () => {
    const compressed = await gzip(payload);
    const { stream } = body(split(compressed.subarray(0, 2_000), 1, 500), new TypeError("Network connection lost."));
    const error = await failure(gunzipIfNeeded(guardedChunks(stream, { contentLength: compressed.length, idleTimeoutMs: 1_000, what: WHAT }), WHAT));
    expect(error).toMatchObject({ kind: "transient", code: "network" });
  });
});

describe("caps on a file's size and a gzip bomb", () => {
  const MiB = 1024 * 1024;
  const limits = (overrides: Partial<GunzipLimits> = {}): GunzipLimits => ({ maxBytes: 1024 * MiB, maxRatio: 200, ratioGraceBytes: 16 * MiB, ...overrides });

  /** Drains `chunks`, counting what came out before it ended or failed. */
  async function outcome(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: number; error?: IngestError }> {
    let bytes = 0;
    try {
      for await (const chunk of chunks) bytes += chunk.byteLength;
    } catch (error) {
      if (!(error instanceof IngestError)) throw error;
      return { bytes, error };
    }
    return { bytes };
  }

  it("a download whose Content-Length is over the cap is refused before a byte is read", async () => {
    const { stream, state } = body(split(payload, 1_000));
    const error = await failure(guardedChunks(stream, { contentLength: payload.length, idleTimeoutMs: 1_000, what: WHAT, maxBytes: payload.length - 1 }));
    expect(error).toMatchObject({ kind: "permanent", code: "file-too-large" });
    expect(error.message).toBe(`${WHAT}: the object is ${payload.length.toLocaleString("en-US")} bytes, over the cap of ${(payload.length - 1).toLocaleString("en-US")} bytes per file`);
    expect(state.cancelled).toBe(true);
  });

  it("a download of exactly the cap is read; without a Content-Length, one byte more is refused as it arrives", async () => {
    const exact = body(split(payload, 1_000));
    expectSameBytes(await drain(guardedChunks(exact.stream, { contentLength: payload.length, idleTimeoutMs: 1_000, what: WHAT, maxBytes: payload.length })), payload);
    const unknown = body(split(payload, 1_000));
    const result = await outcome(guardedChunks(unknown.stream, { contentLength: null, idleTimeoutMs: 1_000, what: WHAT, maxBytes: payload.length - 1 }));
    expect(result.error).toMatchObject({ kind: "permanent", code: "file-too-large" });
    expect(result.bytes).toBe(1_000);
  });

  it("gzip data inflating to exactly the cap is read; one byte more is a permanent file-too-large", async () => {
    const compressed = await gzip(payload);
    const ratio = { maxRatio: 1_000_000, ratioGraceBytes: 0 };
    expectSameBytes(await drain(gunzipIfNeeded(from(split(compressed, 500)), WHAT, limits({ maxBytes: payload.length, ...ratio }))), payload);
    const over = await outcome(gunzipIfNeeded(from(split(compressed, 500)), WHAT, limits({ maxBytes: payload.length - 1, ...ratio })));
    expect(over.error).toMatchObject({ kind: "permanent", code: "file-too-large" });
    expect(over.error!.message).toContain(`gzip data inflates past ${(payload.length - 1).toLocaleString("en-US")} bytes`);
  });

  it("the expansion ratio: a file just under the cap is read, just over it is a permanent gzip-ratio-too-high", async () => {
    // Compressed into less than one inflation step (4 KiB): the ratio seen grows to exactly the file's own.
    const small = encoder.encode(JSON.stringify((ios as unknown[][]).flat().slice(0, 8)));
    const compressed = await gzip(small);
    expect(compressed.length).toBeLessThan(4_096);
    const fileRatio = small.length / compressed.length;
    const under = await outcome(gunzipIfNeeded(from([compressed]), WHAT, limits({ maxRatio: Math.ceil(fileRatio), ratioGraceBytes: 0 })));
    expect(under).toEqual({ bytes: small.length });
    const over = await outcome(gunzipIfNeeded(from([compressed]), WHAT, limits({ maxRatio: Math.floor(fileRatio), ratioGraceBytes: 0 })));
    expect(over.error).toMatchObject({ kind: "permanent", code: "gzip-ratio-too-high" });
    expect(over.error!.message).toContain(`inflates more than ${Math.floor(fileRatio)} times`);
  });

  it("a real gzip bomb under the default caps is refused early, never inflated in full", async () => {
    // 256 MiB of zeros packs into ~250 KB: a ratio of ~1,000 (DEFLATE's ceiling).
    const zeros = new Uint8Array(MiB);
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 256; i++) controller.enqueue(zeros);
        controller.close();
      },
    });
    const bomb = new Uint8Array(await new Response(source.pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)).arrayBuffer());
    expect(bomb.length).toBeLessThan(MiB);
    const result = await outcome(gunzipIfNeeded(from(split(bomb, 4_096, 8_192, 65_536)), WHAT, limits()));
    expect(result.error).toMatchObject({ kind: "permanent", code: "gzip-ratio-too-high" });
    // Stopped within one inflation step (4 KiB in, at most ~4 MiB out) of the 16 MiB grace, far
    // from the 256 MiB it would inflate to.
    expect(result.bytes).toBeGreaterThan(12 * MiB);
    expect(result.bytes).toBeLessThanOrEqual(16 * MiB);
  });

  it("the data team's files (about 9–13 times smaller gzipped) pass the default caps", async () => {
    const compressed = await gzip(payload);
    expect(payload.length / compressed.length).toBeGreaterThan(8);
    expectSameBytes(await drain(gunzipIfNeeded(from(split(compressed, 700)), WHAT, limits({ ratioGraceBytes: 0 }))), payload);
  });
});
