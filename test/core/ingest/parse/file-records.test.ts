// The streaming record reader: the layouts it accepts, and the same records whatever the chunk
// boundaries of the download (checked against JSON.parse over many random splits).
import { describe, expect, it } from "vitest";
import { IngestError } from "../../../../src/core/ingest/errors";
import { fileRecords, type RawRecord } from "../../../../src/core/ingest/parse/file-records";
import android from "../../../fixtures/android.top100.json";
import ios from "../../../fixtures/ios.top100.json";

const encoder = new TextEncoder();

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `bytes` at `cuts` random points (a seed may also cut the first bytes one by one). */
function randomChunks(bytes: Uint8Array, seed: number): Uint8Array[] {
  const random = prng(seed);
  const cuts = new Set<number>();
  const count = 1 + Math.floor(random() * 60);
  for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(random() * (bytes.length - 1)));
  if (seed % 3 === 0) [1, 2, 3].forEach((c) => cuts.add(c));
  const points = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const chunks: Uint8Array[] = [];
  for (let i = 1; i < points.length; i++) chunks.push(bytes.subarray(points[i - 1], points[i]));
  return chunks;
}

async function* stream(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect(chunks: Uint8Array[] | string): Promise<RawRecord[]> {
  const list = typeof chunks === "string" ? [encoder.encode(chunks)] : chunks;
  const records: RawRecord[] = [];
  for await (const record of fileRecords(stream(list), "s3://bucket/file.json")) records.push(record);
  return records;
}

/** What the reader must produce for a grouped file, computed with JSON.parse. */
function expectedGrouped(groups: unknown[][]): RawRecord[] {
  let index = 0;
  return groups.flatMap((group, g) => group.map((value) => ({ index: index++, value, group: g })));
}

async function failure(chunks: Uint8Array[] | string): Promise<IngestError> {
  try {
    await collect(chunks);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    return error as IngestError;
  }
  throw new Error("expected the reader to fail");
}

const unicodeGroups = [
  [
    { os: "ios", app_id: 1, name: "Pokémon GO", publisher_name: "Niantic, Inc." },
    { os: "ios", app_id: 2, name: "原神 Genshin", note: "line\nbreak \"quoted\" \\ back" },
  ],
  [{ os: "android", app_id: "com.x.y", name: "🎮 Game 🕹️", rank: 3, nested: { a: [1, 2.5, -3e2, null, true] } }],
];

describe("grouped files (the data team's export)", () => {
  it.each([
    ["ios", ios as unknown[][]],
    ["android", android as unknown[][]],
  ])("%s fixture in one chunk: every record with its group, in order", async (_name, groups) => {
    const records = await collect(JSON.stringify(groups));
    expect(records).toEqual(expectedGrouped(groups));
    expect(records).toHaveLength(300);
  });

  const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
  it.each(seeds)("the same records whatever the chunk boundaries (seed %i)", async (seed) => {
    const groups = (seed % 2 ? ios : android) as unknown[][];
    const text = seed % 4 < 2 ? JSON.stringify(groups) : JSON.stringify(groups, null, seed % 5);
    const bytes = encoder.encode(text);
    expect(await collect(randomChunks(bytes, seed))).toEqual(expectedGrouped(JSON.parse(text)));
  });

  it("multi-byte UTF-8 characters split at every byte position", async () => {
    const bytes = encoder.encode(JSON.stringify(unicodeGroups));
    const expected = expectedGrouped(unicodeGroups);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    }
    // And one byte at a time.
    expect(await collect(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(expected);
  });

  it("accepts a UTF-8 BOM and leading or trailing whitespace", async () => {
    const expected = expectedGrouped(unicodeGroups);
    expect(await collect(`\uFEFF${JSON.stringify(unicodeGroups)}`)).toEqual(expected);
    expect(await collect(` \r\n\t${JSON.stringify(unicodeGroups, null, 2)}\n\n  `)).toEqual(expected);
    expect(await collect(`\uFEFF  \n[ \n [ ${JSON.stringify(unicodeGroups[0]![0])} ] ]`)).toEqual([{ index: 0, value: unicodeGroups[0]![0], group: 0 }]);
  });

  it("empty groups and an empty outer array are fine", async () => {
    expect(await collect("[[]]")).toEqual([]);
    expect(await collect('[[],[{"a":1}],[]]')).toEqual([{ index: 0, value: { a: 1 }, group: 1 }]);
  });
});

describe("flat arrays", () => {
  it("yields each element with no group, whatever the chunk boundaries", async () => {
    const flat = (ios as unknown[][]).flat();
    const text = JSON.stringify(flat);
    const expected = flat.map((value, index) => ({ index, value, group: null }));
    for (const seed of [7, 8, 9, 10, 11]) expect(await collect(randomChunks(encoder.encode(text), seed))).toEqual(expected);
  });

  it("[] has no records", async () => {
    expect(await collect("[]")).toEqual([]);
    expect(await collect("  [ ]  ")).toEqual([]);
  });
});

describe("NDJSON", () => {
  const lines = (android as unknown[][]).flat().slice(0, 40);

  it("one record per line, whatever the chunk boundaries; blank lines and CRLF are fine", async () => {
    const text = `${lines.map((l) => JSON.stringify(l)).join("\r\n")}\n\n`;
    const expected = lines.map((value, index) => ({ index, value, group: null }));
    for (const seed of [1, 2, 3, 4, 5, 6]) expect(await collect(randomChunks(encoder.encode(text), seed))).toEqual(expected);
    expect(await collect(`\uFEFF${JSON.stringify(lines[0])}\n\n   \n${JSON.stringify(lines[1])}`)).toEqual([
      { index: 0, value: lines[0], group: null },
      { index: 1, value: lines[1], group: null },
    ]);
  });

  it("splits multi-byte characters across chunks correctly", async () => {
    const records = unicodeGroups.flat();
    const bytes = encoder.encode(records.map((r) => JSON.stringify(r)).join("\n"));
    const expected = records.map((value, index) => ({ index, value, group: null }));
    for (let cut = 1; cut < bytes.length; cut += 3) expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
  });

  it("a bad line is one rejected record, not a failed file", async () => {
    const records = await collect('{"a":1}\n{"b":\n{"c":3}\n');
    expect(records).toEqual([
      { index: 0, value: { a: 1 }, group: null },
      { index: 1, error: expect.stringMatching(/^line is not valid JSON/) },
      { index: 2, value: { c: 3 }, group: null },
    ]);
  });

  it("bytes that are not UTF-8 are a permanent malformed-json failure", async () => {
    const error = await failure([encoder.encode('{"a":1}\n{"b":"'), Uint8Array.of(0xff, 0xfe), encoder.encode('"}\n')]);
    expect(error).toMatchObject({ kind: "permanent", code: "malformed-json" });
  });
});

describe("empty and broken files", () => {
  it("an empty or whitespace-only file has no records", async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect("")).toEqual([]);
    expect(await collect([new Uint8Array(0), new Uint8Array(0)])).toEqual([]);
    expect(await collect(" \n\t\r\n")).toEqual([]);
    expect(await collect("\uFEFF")).toEqual([]);
  });

  it("JSON that breaks off is a permanent malformed-json failure, wherever it is cut", async () => {
    const bytes = encoder.encode(JSON.stringify(ios));
    const random = prng(99);
    const cuts = [1, 2, 3, 100, bytes.length - 2, bytes.length - 1, ...Array.from({ length: 20 }, () => 1 + Math.floor(random() * (bytes.length - 2)))];
    for (const cut of cuts) {
      const error = await failure(randomChunks(bytes.subarray(0, cut), cut));
      expect(error.kind, `cut at ${cut}`).toBe("permanent");
      expect(error.code).toBe("malformed-json");
      expect(error.message).toContain("s3://bucket/file.json");
    }
  });

  it("garbage in the middle of an array is a permanent malformed-json failure", async () => {
    const error = await failure('[[{"a":1}],#[{"b":2}]]');
    expect(error).toMatchObject({ kind: "permanent", code: "malformed-json" });
  });

  it.each(["<html><body>Not found</body></html>", "hello", '"just a string"', "42", "null", "true", "<?xml version=\"1.0\"?><Error/>", "\u001f\u008b"])(
    "a file starting like %j is not JSON: permanent malformed-json",
    async (text) => {
      const error = await failure(text);
      expect(error).toMatchObject({ kind: "permanent", code: "malformed-json" });
    },
  );
});

describe("the cap on one record (or NDJSON line)", () => {
  const MiB = 1024 * 1024;
  /** A JSON object of exactly `bytes` bytes: `{"os":"ios","pad":"xxx…"}`. */
  const objectOf = (bytes: number) => {
    const shell = '{"os":"ios","pad":""}';
    return `{"os":"ios","pad":"${"x".repeat(bytes - shell.length)}"}`;
  };

  /** Chunks of `size` bytes from `parts`, pulled lazily; `pulled` says how far the reader got. */
  function lazy(parts: Iterable<string | Uint8Array>, size = 64 * 1024) {
    const state = { pulled: 0 };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const part of parts) {
        const bytes = typeof part === "string" ? encoder.encode(part) : part;
        for (let at = 0; at < bytes.length; at += size) {
          const chunk = bytes.subarray(at, at + size);
          state.pulled += chunk.length;
          yield chunk;
        }
      }
    }
    return { chunks: chunks(), state };
  }

  async function read(chunks: AsyncIterable<Uint8Array>, maxRecordBytes?: number): Promise<RawRecord[] | IngestError> {
    const records: RawRecord[] = [];
    try {
      for await (const record of fileRecords(chunks, "s3://bucket/file.json", maxRecordBytes === undefined ? {} : { maxRecordBytes })) records.push(record);
    } catch (error) {
      if (error instanceof IngestError) return error;
      throw error;
    }
    return records;
  }

  it.each([
    ["NDJSON", (records: string[]) => records.join("\n") + "\n"],
    ["a flat array", (records: string[]) => `[${records.join(",")}]`],
    ["the grouped layout", (records: string[]) => `[[${records.join(",")}],[]]`],
  ])("%s: a record of exactly 1 MiB is read; one byte more is a permanent record-too-large naming the cap", async (_layout, file) => {
    const small = objectOf(40);
    const atCap = await read(lazy([file([small, objectOf(MiB), small])]).chunks);
    expect(atCap).toHaveLength(3);
    expect((atCap as RawRecord[]).map((r) => ("value" in r ? (r.value as { pad: string }).pad.length : -1))).toEqual([19, MiB - 21, 19]);

    const over = await read(lazy([file([small, objectOf(MiB + 1), small])]).chunks);
    expect(over).toBeInstanceOf(IngestError);
    expect(over).toMatchObject({ kind: "permanent", code: "record-too-large" });
    expect((over as IngestError).message).toMatch(/s3:\/\/bucket\/file\.json: (record|line) 2 is larger than 1,048,576 bytes, the cap per record/);
  });

  it("the cap counts the record's own bytes, whitespace inside it included, not what surrounds it", async () => {
    const record = `{ "os" : "ios" , "pad" : "${"x".repeat(70)}" }`;
    const around = " ".repeat(record.length - 10);
    const pretty = `[\n${around}${record}${around},\n${record}\n]`;
    expect(await read(lazy([pretty], 7).chunks, record.length)).toHaveLength(2);
    expect(await read(lazy([pretty], 7).chunks, record.length - 1)).toMatchObject({ code: "record-too-large" });
  });

  it("a record that never ends is refused after the cap, without reading the rest of the file", async () => {
    const endless = function* () {
      yield '[{"os":"ios","name":"';
      for (let i = 0; i < 512; i++) yield "a".repeat(64 * 1024); // 32 MiB of one string
      yield '"}]';
    };
    const { chunks, state } = lazy(endless());
    expect(await read(chunks)).toMatchObject({ kind: "permanent", code: "record-too-large" });
    expect(state.pulled).toBeLessThan(MiB + 2 * 64 * 1024);
  });

  it("an NDJSON line that never ends is refused after the cap, without reading the rest of the file", async () => {
    const endless = function* () {
      yield '{"a":1}\n{"os":"ios","name":"';
      for (let i = 0; i < 512; i++) yield "a".repeat(64 * 1024);
    };
    const { chunks, state } = lazy(endless());
    const error = await read(chunks);
    expect(error).toMatchObject({ kind: "permanent", code: "record-too-large" });
    expect((error as IngestError).message).toContain("line 2 is larger than 1,048,576 bytes");
    expect(state.pulled).toBeLessThan(MiB + 2 * 64 * 1024);
  });

  it("a run of whitespace longer than the cap between two records is refused too (a padding bomb)", async () => {
    const error = await read(lazy([`[${objectOf(50)},`, " ".repeat(MiB + 1), `${objectOf(50)}]`]).chunks);
    expect(error).toMatchObject({ kind: "permanent", code: "record-too-large" });
    expect((error as IngestError).message).toContain("the data after record 1");
    // Blank NDJSON lines are short lines, each far below the cap: read (and skipped) as usual.
    expect(await read(lazy([`${objectOf(50)}\n`, "\n".repeat(MiB + 1), objectOf(50)]).chunks)).toHaveLength(2);
  });
});
