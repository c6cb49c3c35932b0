// The byte-level record scanner (parse/record-scanner.ts, through fileRecords) against the
// runtime's JSON.parse: on generated documents — valid, and broken by random edits — both agree
// on every record and on whether the file is JSON, whatever the chunk boundaries; a broken file
// names the byte where it stops being JSON.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestError } from "../../../../src/core/ingest/errors";
import { fileRecords, type RawRecord } from "../../../../src/core/ingest/parse/file-records";
import { findJsonProblem } from "../../../../src/core/ingest/parse/json-error";

const encoder = new TextEncoder();
const WHAT = "s3://bucket/file.json";

async function* stream(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** The records read from `chunks`, or the error that stopped the reader. */
async function read(chunks: Uint8Array[]): Promise<RawRecord[] | IngestError> {
  const records: RawRecord[] = [];
  try {
    for await (const record of fileRecords(stream(chunks), WHAT)) records.push(record);
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  return records;
}

/** What the reader must give for an array file, computed with the runtime's decoder and JSON.parse. */
function expected(file: Uint8Array): RawRecord[] | "malformed" {
  // A leading byte-order mark is not part of the data.
  const bytes = file.subarray(file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf ? 3 : 0);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    return "malformed";
  }
  if (!Array.isArray(doc)) throw new Error("the generated document is not an array");
  // The reader tells the layouts apart by the byte after the first '['.
  const second = bytes.subarray(bytes.indexOf(0x5b) + 1).find((b) => ![0x20, 0x09, 0x0a, 0x0d].includes(b));
  if (second !== 0x5b) return doc.map((value, index) => ({ index, value, group: null }));
  let index = 0;
  return doc.flatMap((item, group): RawRecord[] =>
    Array.isArray(item)
      ? item.map((value) => ({ index: index++, value, group }))
      : [{ index: index++, error: `item ${group + 1} of the file's outer array is not a group (an array of records)` }],
  );
}

/** The byte offset a malformed-json message names. */
function offsetIn(error: IngestError): number {
  const match = /at byte (\d+)/.exec(error.message);
  if (!match) throw new Error(`no byte offset in: ${error.message}`);
  return Number(match[1]);
}

/** Every way to cut `bytes` in two, and one byte at a time. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out = [[bytes], Array.from(bytes, (b) => Uint8Array.of(b))];
  for (let cut = 1; cut < bytes.length; cut++) out.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generated documents: JSON values rendered with random whitespace and random (valid) escapes.

const SPACES = [" ", "\t", "\n", "\r"];

/** A string literal with some characters escaped as JSON allows (`\/`, `\uXXXX`), the rest as JSON.stringify writes them. */
function renderString(text: string, random: () => number): string {
  let out = '"';
  for (const ch of text) {
    const r = random();
    if (ch === "/" && r < 0.5) out += "\\/";
    else if (r < 0.15) out += [...ch].map((c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")).join("");
    else out += JSON.stringify(ch).slice(1, -1);
  }
  return `${out}"`;
}

function render(value: unknown, random: () => number): string {
  const ws = () => (random() < 0.6 ? "" : Array.from({ length: 1 + Math.floor(random() * 3) }, () => SPACES[Math.floor(random() * 4)]).join(""));
  if (Array.isArray(value)) return `[${ws()}${value.map((v) => render(v, random)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (typeof value === "string") return renderString(value, random);
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(([k, v]) => `${renderString(k, random)}${ws()}:${ws()}${render(v, random)}`);
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
  }
  return JSON.stringify(value);
}

/** Strings with the characters that matter to a scanner: quotes, backslashes, brackets, multi-byte and lone surrogates. */
const tricky = fc.string({ unit: fc.oneof(fc.constantFrom('"', "\\", "/", "[", "]", "{", "}", ",", ":", " ", "é", "🎮", "\ud800", "\u0000", "\u001f", "\u2028"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), maxLength: 8 });
const value = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" });
const record = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(fc.oneof(tricky, fc.string({ maxLength: 4 })), fc.oneof(value, tricky), { maxKeys: 4 }) },
  { weight: 1, arbitrary: value },
  { weight: 1, arbitrary: tricky },
);
const documents = fc.record({
  doc: fc.oneof(fc.array(fc.array(record, { maxLength: 3 }), { maxLength: 3 }), fc.array(record, { maxLength: 4 })),
  choices: fc.array(fc.nat(999), { minLength: 1, maxLength: 40 }),
  leading: fc.constantFrom("", " ", "\n\t", "\uFEFF", "\uFEFF\r\n"),
});

/** The document's whitespace and escapes follow from `choices` (fast-check shrinks them like any value). */
function chooser(choices: number[]): () => number {
  let k = 0;
  return () => choices[k++ % choices.length]! / 1000;
}

const renderDocument = ({ doc, choices, leading }: { doc: unknown[]; choices: number[]; leading: string }) => `${leading}${render(doc, chooser(choices))}${choices[0]! % 3 ? "\n" : ""}`;

/** Bytes an edit may put into a document: JSON's structure, literals' letters, bad bytes. */
const EDIT_BYTES = [..."[]{}\",:\\ \n-.0123456789eEtrufalsn#"].map((c) => c.charCodeAt(0)).concat([0xff, 0xc3, 0xe2, 0x80, 0x01, 0x0c, 0xef]);
const edit = fc.record({ kind: fc.constantFrom("delete", "insert", "replace", "truncate"), at: fc.nat(), byte: fc.constantFrom(...EDIT_BYTES) });

/** Applies edits, never to the first '[' (that would make it another layout, or not JSON). */
function applyEdits(bytes: Uint8Array, edits: { kind: string; at: number; byte: number }[]): Uint8Array {
  let out = [...bytes];
  const first = out.indexOf(0x5b);
  for (const { kind, at, byte } of edits) {
    const p = first + 1 + (at % Math.max(1, out.length - first));
    if (kind === "delete") out.splice(p, 1);
    else if (kind === "insert") out.splice(p, 0, byte);
    else if (kind === "replace" && p < out.length) out[p] = byte;
    else if (kind === "truncate") out = out.slice(0, p);
  }
  return Uint8Array.from(out);
}

describe("the scanner and JSON.parse agree", () => {
  it("on valid documents: the same records, group numbers and indexes, wherever the chunks are cut", async () => {
    await fc.assert(
      fc.asyncProperty(documents, async (d) => {
        const bytes = encoder.encode(renderDocument(d));
        const want = expected(bytes);
        expect(want).not.toBe("malformed");
        for (const chunks of splits(bytes)) expect(await read(chunks)).toEqual(want);
      }),
      { numRuns: 150 },
    );
  });

  it("on edited documents: the same records when JSON.parse accepts, else malformed-json at the first byte that is not JSON, wherever the chunks are cut", async () => {
    let malformed = 0;
    await fc.assert(
      fc.asyncProperty(documents, fc.array(edit, { minLength: 1, maxLength: 3 }), async (d, edits) => {
        const bytes = applyEdits(encoder.encode(renderDocument(d)), edits);
        const want = expected(bytes);
        if (want === "malformed") malformed++;
        // The offset a plain grammar walk over the whole file finds (the BOM is not part of the JSON).
        const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
        const problem = want === "malformed" ? findJsonProblem(bytes.subarray(bom)) : null;
        if (want === "malformed") expect(problem).not.toBeNull();
        for (const chunks of splits(bytes)) {
          const got = await read(chunks);
          if (want !== "malformed") {
            expect(got).toEqual(want);
            continue;
          }
          expect(got).toBeInstanceOf(IngestError);
          const error = got as IngestError;
          expect(error.kind).toBe("permanent");
          expect(error.code).toBe("malformed-json");
          expect(error.message.startsWith(`${WHAT}: invalid JSON`)).toBe(true);
          expect(offsetIn(error)).toBe(bom + problem!.offset);
        }
      }),
      { numRuns: 300 },
    );
    // The edits break most documents, and keep some valid: both sides of the property are exercised.
    expect(malformed).toBeGreaterThan(100);
  });
});

describe("findJsonProblem (the error locator) and JSON.parse agree", () => {
  it("on whether a value is JSON, for generated and edited values", () => {
    const native = (bytes: Uint8Array) => {
      try {
        JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(record, fc.array(fc.nat(999), { minLength: 1, maxLength: 40 }), fc.array(edit, { maxLength: 3 }), (r, choices, edits) => {
        const text = render(r, chooser(choices));
        const bytes = applyEdits(encoder.encode(`[${text}`), edits).subarray(1);
        expect(findJsonProblem(bytes) === null).toBe(native(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});
