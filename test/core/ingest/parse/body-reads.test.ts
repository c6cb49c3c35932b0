// How the download is read: a fetch body (a byte stream) 64 KiB at a time through a BYOB reader,
// not in the 4 KiB chunks workerd's default reader hands out; any other stream as it comes.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { guardedChunks } from "../../../../src/core/ingest/parse/guarded-body";
import { putObject, resetIngestState } from "../../../helpers/ingest";

const KEY = "body-reads/two-mib.json";
const size = 2 * 1024 * 1024;
const bytes = new Uint8Array(size);
for (let i = 0; i < size; i++) bytes[i] = 0x20 + (i % 90);

/** Byte-wise equality without a huge diff when it fails. */
function expectSameBytes(actual: Uint8Array) {
  expect(actual.length).toBe(bytes.length);
  expect(actual.findIndex((b, i) => b !== bytes[i])).toBe(-1);
}

async function chunksOf(body: ReadableStream<Uint8Array>, contentLength: number | null) {
  const sizes: number[] = [];
  const received = new Uint8Array(size);
  let at = 0;
  for await (const chunk of guardedChunks(body, { contentLength, idleTimeoutMs: 5_000, what: KEY })) {
    received.set(chunk, at);
    at += chunk.byteLength;
    sizes.push(chunk.byteLength);
  }
  return { sizes, received: received.subarray(0, at) };
}

describe("reading the download", () => {
  beforeAll(async () => {
    // The harness is shared with the other ingestion test files: no fault rule of theirs applies.
    await resetIngestState();
    await putObject(KEY, bytes);
  });

  it("a fetch body from S3 is read in reads of up to 64 KiB (BYOB), not the runtime's 4 KiB chunks", async () => {
    const response = await fetch(`${env.S3_ENDPOINT}/${env.S3_BUCKET}/${KEY}`);
    expect(response.status).toBe(200);
    const { sizes, received } = await chunksOf(response.body!, Number(response.headers.get("content-length")));
    expectSameBytes(received);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    // 2 MiB in 4 KiB chunks would be 512 of them; in 64 KiB reads about 32 (a read returns what
    // has arrived, so a few are shorter).
    expect(sizes.length).toBeLessThan(64);
  });

  it("a stream that is not a byte stream is read as it comes", async () => {
    const pieces = [bytes.subarray(0, 100), bytes.subarray(100, 300_000), bytes.subarray(300_000)];
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < pieces.length) controller.enqueue(pieces[i++]!);
        else controller.close();
      },
    });
    const { sizes, received } = await chunksOf(body, null);
    expectSameBytes(received);
    expect(sizes).toEqual(pieces.map((p) => p.byteLength));
  });
});
