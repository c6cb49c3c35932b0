// What a broken array file's error says: the byte (counted in the file, as `dd` and `head -c`
// count) where it stops being JSON, and what was expected there; and items of the grouped
// layout that are not groups, which are rejected records rather than lost.
import { describe, expect, it } from "vitest";
import { IngestError } from "../../../../src/core/ingest/errors";
import { fileRecords, type RawRecord } from "../../../../src/core/ingest/parse/file-records";

const encoder = new TextEncoder();
const WHAT = "s3://bucket/file.json";

async function read(parts: (string | Uint8Array)[]): Promise<RawRecord[] | IngestError> {
  async function* chunks() {
    for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
  }
  const records: RawRecord[] = [];
  try {
    for await (const record of fileRecords(chunks(), WHAT)) records.push(record);
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  return records;
}

/** The byte offset of `marker` in `text` as UTF-8. */
const byteOf = (text: string, marker: string) => encoder.encode(text.slice(0, text.indexOf(marker))).length;

describe("malformed-json names the byte where the file stops being JSON", () => {
  const pokemon = '[{"name":"Pokémon GO 🎮","rank":tru}]';
  it.each<[string, (string | Uint8Array)[], string]>([
    ["garbage between groups", ['[[{"a":1}],#[{"b":2}]]'], "at byte 11 (record 2): expected a value, found '#'"],
    ["a bad literal after multi-byte characters (bytes, not characters)", [pokemon], `at byte ${byteOf(pokemon, "}")} (record 1): expected 'true', found '}'`],
    ["two records without a comma", ['[{"a":1} {"b":2}]'], "at byte 9: expected ',' or ']' after record 1, found '{'"],
    ["a trailing comma", ['[{"a":1},]'], "at byte 9: expected a value after ',', found ']'"],
    ["data after the array", ['[{"a":1}] x'], "at byte 10: expected nothing after the array's closing ']', found 'x'"],
    ["bytes that are not UTF-8", ['[{"a":"', Uint8Array.of(0xff), '"}]'], "at byte 7 (record 1): not UTF-8 text"],
    ["a raw newline in a string", ['[{"a":"x\ny"}]'], "at byte 8 (record 1): expected a string character (control characters must be escaped), found byte 0x0a"],
    ["a bad escape, the record split across chunks", ['[{"a":1},{"b":"\\', 'q"}]'], "at byte 16 (record 2): expected an escape (one of \" \\ / b f n r t u) after '\\', found 'q'"],
    ["a string that never ends, with a bad byte in it", ['[{"a":"abc', Uint8Array.of(0xc3, 0x28)], "at byte 10 (record 1): not UTF-8 text"],
    ["a file cut off inside a record", ['[{"a":1},{"b":'], ": the data ends at byte 14, inside record 2 (which starts at byte 9)"],
    ["a file cut off between records", ['[[{"a":1}],', "\n"], ": the data ends at byte 12, before the array is closed with ']'"],
    ["offsets count a byte-order mark", ["\uFEFF[1,]"], "at byte 6: expected a value after ',', found ']'"],
  ])("%s", async (_case, parts, detail) => {
    const error = await read(parts);
    expect(error).toBeInstanceOf(IngestError);
    expect(error).toMatchObject({ kind: "permanent", code: "malformed-json", message: `${WHAT}: invalid JSON${detail.startsWith(":") ? "" : " "}${detail}` });
  });
});

describe("the grouped layout: an item that is not a group", () => {
  it("is one rejected record with the reason, in order; the groups around it keep their numbers", async () => {
    expect(await read(['[[{"a":1}],{"b":2},5,[{"c":3},"x"]]'])).toEqual([
      { index: 0, value: { a: 1 }, group: 0 },
      { index: 1, error: "item 2 of the file's outer array is not a group (an array of records)" },
      { index: 2, error: "item 3 of the file's outer array is not a group (an array of records)" },
      { index: 3, value: { c: 3 }, group: 3 },
      { index: 4, value: "x", group: 3 },
    ]);
  });
});
