import { IngestError } from "../errors";
import { formatCount, limitExceeded } from "../limits";
import { concatBytes } from "./bytes";
import type { RawRecord } from "./file-records";

const NEWLINE = 0x0a;

/**
 * NDJSON: one record per line, each parsed with the runtime's `JSON.parse`. A line that is not
 * JSON is one rejected record (the next line is still read); a line over `maxLineBytes` is a
 * permanent `record-too-large`, refused before more than that is held. Yields the records of
 * each chunk together.
 */
export async function* ndjsonRecords(chunks: AsyncIterable<Uint8Array>, what: string, maxLineBytes: number): AsyncGenerator<RawRecord[]> {
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
    if (pending + piece.byteLength > maxLineBytes) {
      throw limitExceeded("record-too-large", `${what}: line ${line} is larger than ${formatCount(maxLineBytes)} bytes, the cap per record`);
    }
  };
  for await (const chunk of chunks) {
    const batch: RawRecord[] = [];
    let from = 0;
    for (let end = chunk.indexOf(NEWLINE, from); end !== -1; end = chunk.indexOf(NEWLINE, from)) {
      const piece = chunk.subarray(from, end);
      grow(piece);
      const bytes = pieces.length ? concatBytes([...pieces, piece], pending + piece.byteLength) : piece;
      pieces = [];
      pending = 0;
      const record = lineRecord(bytes);
      if (record) batch.push(record);
      line++;
      from = end + 1;
    }
    if (from < chunk.byteLength) {
      const rest = chunk.slice(from);
      grow(rest);
      pieces.push(rest);
      pending += rest.byteLength;
    }
    if (batch.length > 0) yield batch;
  }
  if (pending > 0) {
    const record = lineRecord(concatBytes(pieces, pending));
    if (record) yield [record];
  }
}
