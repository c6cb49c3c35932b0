// The text rules shared by the API's validation and ingestion (src/core/domain/text.ts).
import { describe, expect, it } from "vitest";
import { toGameRecord } from "../../../src/core/ingest/record";
import { hasControlCharacter, replaceLoneSurrogates } from "../../../src/core/domain/text";

describe("replaceLoneSurrogates", () => {
  it.each([
    ["a\ud800b", "a\ufffdb"],
    ["\udc00", "\ufffd"],
    ["\udc00\ud800", "\ufffd\ufffd"],
    ["end\udbff", "end\ufffd"],
  ])("%j → %j", (input, output) => {
    expect(replaceLoneSurrogates(input)).toBe(output);
  });

  it("keeps well-formed text, astral characters included", () => {
    for (const text of ["Pokémon GO", "🎮 Game 🕹️", "\ud83c\udfae", "ポケモン", ""]) expect(replaceLoneSurrogates(text)).toBe(text);
  });

  it("is the rule ingestion applies to a record's text", () => {
    const result = toGameRecord({ os: "ios", app_id: 1, name: "Broken \ud800 Name", publisher_name: "Pub\udc00" }, null);
    expect(result).toMatchObject({ ok: true, game: { name: replaceLoneSurrogates("Broken \ud800 Name"), publisherName: "Pub\ufffd" } });
  });
});

describe("hasControlCharacter", () => {
  it("finds every C0 character, DEL and every C1 character", () => {
    const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)];
    for (const code of controls) expect(hasControlCharacter(`a${String.fromCharCode(code)}b`), code.toString(16)).toBe(true);
  });

  it("accepts printable text, spaces, format characters and U+FFFD", () => {
    for (const text of ["Minecraft Earth", "100% Orange Juice", "a\u00a0b", "zero\u200bwidth", "\ufffd", "🎮", ""]) {
      expect(hasControlCharacter(text), JSON.stringify(text)).toBe(false);
    }
  });
});
