import { TokenParser, Tokenizer, TokenType } from "@streamparser/json";
import { IngestError } from "../errors";
import { formatCount, INGEST_LIMITS, limitExceeded } from "../limits";

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

/** Joins byte chunks into one array (a single chunk is returned as is). */
function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.byteLength;
  }
  return joined;
}

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
 * Anything else, or JSON that breaks off, is a permanent `malformed-json` error. A record (or
 * line) over `maxRecordBytes` is a permanent `record-too-large` error: the parser never holds
 * more than one record in memory.
 */
export async function* fileRecords(chunks: AsyncIterable<Uint8Array>, what: string, options: ReadOptions = {}): AsyncGenerator<RawRecord> {
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
  let first = concat(head, head.reduce((n, c) => n + c.byteLength, 0));
  if (BOM.every((b, i) => first[i] === b)) first = first.subarray(BOM.length);
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }

  if (headBytes[0] === OPEN_BRACE) {
    yield* ndjsonRecords(all(), what, maxRecordBytes);
  } else if (headBytes[0] === OPEN_BRACKET) {
    yield* arrayRecords(all(), headBytes[1] === OPEN_BRACKET, what, maxRecordBytes);
  } else {
    throw new IngestError("permanent", "malformed-json", `${what}: not JSON (expected an array or NDJSON objects)`);
  }
}

const malformed = (what: string, error: unknown) =>
  error instanceof IngestError
    ? error
    : new IngestError("permanent", "malformed-json", `${what}: invalid JSON: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500), {
        cause: error,
      });

const tooLarge = (what: string, which: string, maxBytes: number) =>
  limitExceeded("record-too-large", `${what}: ${which} is larger than ${formatCount(maxBytes)} bytes, the cap per record`);

/** Bytes handed to the tokenizer per write: bounds what one write can add before the size check. */
const WRITE_SLICE = 64 * 1024;
const VALUE_START = new Set([TokenType.LEFT_BRACE, TokenType.LEFT_BRACKET, TokenType.STRING, TokenType.NUMBER, TokenType.TRUE, TokenType.FALSE, TokenType.NULL]);

async function* arrayRecords(chunks: AsyncIterable<Uint8Array>, grouped: boolean, what: string, maxRecordBytes: number): AsyncGenerator<RawRecord> {
  const options = {
    paths: [grouped ? "$.*.*" : "$.*"],
    // Emitted values are dropped from their parent, so a huge array never accumulates.
    keepStack: false,
    // Buffers make string and number tokens ~1.7x faster than concatenation (docs/BENCHMARKS.md).
    stringBufferSize: 64 * 1024,
    numberBufferSize: 64,
  };
  // The tokenizer and token parser wired as JSONParser wires them, with the tokens watched on
  // the way: each token's byte offset tells where a record starts and ends.
  const tokenizer = new Tokenizer(options);
  const parser = new TokenParser(options);
  const recordDepth = grouped ? 2 : 1;
  let depth = 0;
  /** Offset of the first byte of the record being parsed, or -1 between records. */
  let recordStart = -1;
  /** Offset just after the last token seen outside a record. */
  let idleFrom = 0;
  let written = 0;
  let records = 0;
  tokenizer.onToken = (info) => {
    const { token, offset } = info;
    if (recordStart < 0 && depth === recordDepth && VALUE_START.has(token)) recordStart = offset;
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) depth++;
    else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) depth--;
    if (recordStart >= 0 && depth === recordDepth) {
      // The record ended with this token; a closing brace or bracket is one byte.
      if (offset + 1 - recordStart > maxRecordBytes) throw tooLarge(what, `record ${records + 1}`, maxRecordBytes);
      recordStart = -1;
    }
    if (recordStart < 0) idleFrom = offset + 1;
    parser.write(info);
  };
  tokenizer.onEnd = () => {
    if (!parser.isEnded) parser.end();
  };
  parser.onError = tokenizer.error.bind(tokenizer);
  parser.onEnd = () => {
    if (!tokenizer.isEnded) tokenizer.end();
  };

  const ready: RawRecord[] = [];
  parser.onValue = ({ value, stack }) => {
    const group = grouped ? Number(stack[1]?.key ?? 0) : null;
    ready.push({ index: records++, value, group });
  };
  let failure: unknown;
  tokenizer.onError = (error) => {
    failure ??= error;
  };
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.byteLength; at += WRITE_SLICE) {
      const slice = chunk.subarray(at, at + WRITE_SLICE);
      tokenizer.write(slice);
      written += slice.byteLength;
      if (failure) throw malformed(what, failure);
      // A record still open, or bytes with no token yet (a long string, a run of whitespace).
      if (written - (recordStart >= 0 ? recordStart : idleFrom) > maxRecordBytes) {
        throw tooLarge(what, recordStart >= 0 ? `record ${records + 1}` : `the data after record ${records}`, maxRecordBytes);
      }
    }
    yield* ready.splice(0);
  }
  if (!tokenizer.isEnded) tokenizer.end();
  if (failure) throw malformed(what, failure);
  yield* ready.splice(0);
}

const NEWLINE = 0x0a;

async function* ndjsonRecords(chunks: AsyncIterable<Uint8Array>, what: string, maxLineBytes: number): AsyncGenerator<RawRecord> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let index = 0;
  let line = 1;
  /** The current line's bytes so far (copied: a chunk's buffer is not ours to keep). */
  let pieces: Uint8Array[] = [];
  let pending = 0;
  const lineRecord = (bytes: Uint8Array): RawRecord | null => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (error) {
      throw new IngestError("permanent", "malformed-json", `${what}: not UTF-8 text (line ${line})`, { cause: error });
    }
    if (!text.trim()) return null;
    // Taken before parsing: a line that fails to parse is one record, not two.
    const at = index++;
    try {
      return { index: at, value: JSON.parse(text), group: null };
    } catch (error) {
      return { index: at, error: `line is not valid JSON: ${error instanceof Error ? error.message.slice(0, 120) : "parse error"}` };
    }
  };
  const grow = (piece: Uint8Array) => {
    if (pending + piece.byteLength > maxLineBytes) throw tooLarge(what, `line ${line}`, maxLineBytes);
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (let end = chunk.indexOf(NEWLINE, from); end !== -1; end = chunk.indexOf(NEWLINE, from)) {
      const piece = chunk.subarray(from, end);
      grow(piece);
      const bytes = pieces.length ? concat([...pieces, piece], pending + piece.byteLength) : piece;
      pieces = [];
      pending = 0;
      const record = lineRecord(bytes);
      if (record) yield record;
      line++;
      from = end + 1;
    }
    if (from < chunk.byteLength) {
      const rest = chunk.slice(from);
      grow(rest);
      pieces.push(rest);
      pending += rest.byteLength;
    }
  }
  if (pending > 0) {
    const record = lineRecord(concat(pieces, pending));
    if (record) yield record;
  }
}
