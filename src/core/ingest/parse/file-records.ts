import { JSONParser } from "@streamparser/json";
import { IngestError } from "../errors";

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

/**
 * Records of a data-team file, parsed incrementally so memory stays flat however large the
 * file is. Accepted layouts, told apart by their first bytes:
 * - `[[{…},{…}],[…]]`: the grouped export (records grouped by chart position);
 * - `[{…},{…}]`: a flat array;
 * - `{…}\n{…}`: NDJSON, one record per line (a bad line is one rejected record).
 * Anything else, or JSON that breaks off, is a permanent `malformed-json` error.
 */
export async function* fileRecords(chunks: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<RawRecord> {
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
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }

  if (headBytes.length === 0) return; // an empty file has no records
  if (headBytes[0] === OPEN_BRACE) {
    yield* ndjsonRecords(all(), what);
  } else if (headBytes[0] === OPEN_BRACKET) {
    yield* arrayRecords(all(), headBytes[1] === OPEN_BRACKET, what);
  } else {
    throw new IngestError("permanent", "malformed-json", `${what}: not JSON (expected an array or NDJSON objects)`);
  }
}

const malformed = (what: string, error: unknown) =>
  new IngestError("permanent", "malformed-json", `${what}: invalid JSON: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500), {
    cause: error,
  });

async function* arrayRecords(chunks: AsyncIterable<Uint8Array>, grouped: boolean, what: string): AsyncGenerator<RawRecord> {
  const parser = new JSONParser({
    paths: [grouped ? "$.*.*" : "$.*"],
    // Emitted values are dropped from their parent, so a huge array never accumulates.
    keepStack: false,
    // Buffers make string and number tokens ~1.7x faster than concatenation (docs/BENCHMARKS.md).
    stringBufferSize: 64 * 1024,
    numberBufferSize: 64,
  });
  const ready: RawRecord[] = [];
  let index = 0;
  parser.onValue = ({ value, stack }) => {
    const group = grouped ? Number(stack[1]?.key ?? 0) : null;
    ready.push({ index: index++, value, group });
  };
  let failure: unknown;
  parser.onError = (error) => {
    failure ??= error;
  };
  for await (const chunk of chunks) {
    parser.write(chunk);
    if (failure) throw malformed(what, failure);
    yield* ready.splice(0);
  }
  if (!parser.isEnded) parser.end();
  if (failure) throw malformed(what, failure);
  yield* ready.splice(0);
}

async function* ndjsonRecords(chunks: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<RawRecord> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let pending = "";
  let index = 0;
  const lineRecord = (line: string): RawRecord | null => {
    if (!line.trim()) return null;
    // Taken before parsing: a line that fails to parse is one record, not two.
    const at = index++;
    try {
      return { index: at, value: JSON.parse(line), group: null };
    } catch (error) {
      return { index: at, error: `line is not valid JSON: ${error instanceof Error ? error.message.slice(0, 120) : "parse error"}` };
    }
  };
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch (error) {
      throw new IngestError("permanent", "malformed-json", `${what}: not UTF-8 text`, { cause: error });
    }
  };
  for await (const chunk of chunks) {
    pending += decode(chunk);
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      const record = lineRecord(line);
      if (record) yield record;
    }
  }
  pending += decode();
  const last = lineRecord(pending);
  if (last) yield last;
}
