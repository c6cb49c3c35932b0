import { IngestError } from "../errors";
import { INGEST_LIMITS } from "../limits";
import { concatBytes } from "./bytes";
import { findJsonProblem } from "./json-error";
import { ndjsonRecords } from "./ndjson-records";
import { malformedJson, RecordScanner, recordNotJson, type RecordSink } from "./record-scanner";

/** One record of a file: its parsed value, or why it could not be parsed (NDJSON lines). */
export type RawRecord =
  | { index: number; value: unknown; group: number | null }
  | { index: number; error: string };

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]); // incl. a UTF-8 BOM
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;

/** The first two meaningful bytes of the data (skipping whitespace), without consuming it. */
function leadingBytes(chunks: Uint8Array[]): number[] {
  const found: number[] = [];
  for (const chunk of chunks) {
    for (const byte of chunk) {
      if (WHITESPACE.has(byte)) continue;
      found.push(byte);
      if (found.length === 2) return found;
    }
  }
  return found;
}

const BOM = [0xef, 0xbb, 0xbf];

export interface ReadOptions {
  /** Largest record in bytes (see IngestLimits.maxRecordBytes); larger is a permanent `record-too-large`. */
  maxRecordBytes?: number;
}

/**
 * Records of a data-team file, parsed incrementally so memory stays flat however large the
 * file is. Accepted layouts, told apart by their first bytes:
 * - `[[{…},{…}],[…]]`: the grouped export (records grouped by chart position);
 * - `[{…},{…}]`: a flat array;
 * - `{…}\n{…}`: NDJSON, one record per line (a bad line is one rejected record).
 * Anything else, or JSON that breaks off, is a permanent `malformed-json` error naming the byte
 * where the file stops being JSON. A record (or line) over `maxRecordBytes` is a permanent
 * `record-too-large` error: the parser never holds more than one record in memory.
 */
export async function* fileRecords(chunks: AsyncIterable<Uint8Array>, what: string, options: ReadOptions = {}): AsyncGenerator<RawRecord> {
  for await (const batch of fileRecordBatches(chunks, what, options)) yield* batch;
}

/** `fileRecords`, the records completed by each chunk of input together (the consumer's loop). */
export async function* fileRecordBatches(chunks: AsyncIterable<Uint8Array>, what: string, options: ReadOptions = {}): AsyncGenerator<RawRecord[]> {
  const maxRecordBytes = options.maxRecordBytes ?? INGEST_LIMITS.maxRecordBytes;
  const iterator = chunks[Symbol.asyncIterator]();
  // Buffer just enough of the start to recognise the layout.
  const head: Uint8Array[] = [];
  let headBytes: number[] = [];
  while (headBytes.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    headBytes = leadingBytes(head);
  }
  if (headBytes.length === 0) return; // an empty file has no records
  // A UTF-8 byte-order mark (Windows tools) is not part of the data; the head holds all of it.
  let first = concatBytes(head, head.reduce((n, c) => n + c.byteLength, 0));
  const bomBytes = BOM.every((b, i) => first[i] === b) ? BOM.length : 0;
  first = first.subarray(bomBytes);
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }

  if (headBytes[0] === OPEN_BRACE) {
    yield* ndjsonRecords(all(), what, maxRecordBytes);
  } else if (headBytes[0] === OPEN_BRACKET) {
    yield* arrayRecords(all(), { grouped: headBytes[1] === OPEN_BRACKET, maxRecordBytes, what, startOffset: bomBytes });
  } else {
    throw new IngestError("permanent", "malformed-json", `${what}: not JSON (expected an array or NDJSON objects)`);
  }
}

/** The array layouts: records found by the byte scanner, each parsed by the runtime's `JSON.parse`. */
async function* arrayRecords(chunks: AsyncIterable<Uint8Array>, options: { grouped: boolean; maxRecordBytes: number; what: string; startOffset: number }): AsyncGenerator<RawRecord[]> {
  const { what } = options;
  const scanner = new RecordScanner(options);
  // One decoder for the file; `fatal`: bytes that are not UTF-8 make the file malformed, as
  // they make it invalid JSON.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let ready: RawRecord[] = [];
  let index = 0;
  const sink: RecordSink = (bytes, offset, group, notAGroup) => {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch (error) {
      throw recordMalformed(what, bytes, offset, index + 1, error);
    }
    const at = index++;
    ready.push(notAGroup ? { index: at, error: `item ${group! + 1} of the file's outer array is not a group (an array of records)` } : { index: at, value, group });
  };
  for await (const chunk of chunks) {
    scanner.push(chunk, sink);
    if (ready.length > 0) {
      const batch = ready;
      ready = [];
      yield batch;
    }
  }
  scanner.end();
}

/** The error for a record `JSON.parse` refused: the byte where it stops being JSON, in the file. */
function recordMalformed(what: string, bytes: Uint8Array, offset: number, record: number, cause: unknown) {
  const found = findJsonProblem(bytes);
  if (found) return recordNotJson(what, offset, record, found, cause);
  // Not expected (the check follows the same grammar); the runtime's own message, then.
  return malformedJson(what, ` in record ${record}, which starts at byte ${offset}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
}
