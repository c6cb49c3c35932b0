// Mapping one data-team record to a game, and every reason a record is rejected.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GameRecord } from "../../../src/core/domain/game";
import { plainlyValidGame, toGameRecord, toGameRecordBySchema } from "../../../src/core/ingest/record";
import android from "../../fixtures/android.top100.json";
import ios from "../../fixtures/ios.top100.json";

const iosRecord = (overrides: Record<string, unknown> = {}) => ({
  app_id: 1549027048,
  id: 1549027048,
  os: "ios",
  name: "Rocket League Sideswipe",
  publisher_id: 1500945164,
  publisher_name: "Psyonix LLC",
  bundle_id: "com.psyonixllc.mesa",
  version: "1.0.3",
  icon_url: "https://is1-ssl.mzstatic.com/icon.png",
  rank: 1,
  rating: 4.5, // one of the ~40 fields Game DB ignores
  ...overrides,
});

const androidRecord = (overrides: Record<string, unknown> = {}) => ({
  app_id: "com.Psyonix.RL2D",
  id: "com.Psyonix.RL2D",
  os: "android",
  name: "Rocket League Sideswipe",
  publisher_id: "Psyonix+Studios",
  publisher_name: "Psyonix Studios",
  bundle_id: "com.Psyonix.RL2D",
  version: "Varies with device",
  icon_url: "https://play-lh.googleusercontent.com/icon=s150",
  rank: 1,
  ...overrides,
});

function game(value: unknown, group: number | null = 0): GameRecord {
  const result = toGameRecord(value, group);
  if (!result.ok) throw new Error(`expected the record to be accepted, got: ${result.reason}`);
  return result.game;
}

function reason(value: unknown, group: number | null = 0): string {
  const result = toGameRecord(value, group);
  if (result.ok) throw new Error(`expected the record to be rejected, got ${JSON.stringify(result.game)}`);
  return result.reason;
}

describe("accepted records", () => {
  it("maps an iOS record: numeric ids become digit strings", () => {
    expect(game(iosRecord(), 4)).toEqual({
      platform: "ios",
      storeId: "1549027048",
      name: "Rocket League Sideswipe",
      bundleId: "com.psyonixllc.mesa",
      publisherId: "1500945164",
      publisherName: "Psyonix LLC",
      appVersion: "1.0.3",
      iconUrl: "https://is1-ssl.mzstatic.com/icon.png",
      rank: 1,
    });
  });

  it("maps an Android record: package names stay strings", () => {
    expect(game(androidRecord({ rank: 7 }))).toEqual({
      platform: "android",
      storeId: "com.Psyonix.RL2D",
      name: "Rocket League Sideswipe",
      bundleId: "com.Psyonix.RL2D",
      publisherId: "Psyonix+Studios",
      publisherName: "Psyonix Studios",
      appVersion: "Varies with device",
      iconUrl: "https://play-lh.googleusercontent.com/icon=s150",
      rank: 7,
    });
  });

  it("accepts an iOS id given as a digit string, and falls back from app_id to id", () => {
    expect(game(iosRecord({ app_id: "284882215" })).storeId).toBe("284882215");
    expect(game(iosRecord({ app_id: undefined, id: 333 })).storeId).toBe("333");
    expect(game(androidRecord({ app_id: undefined, id: "com.example.game" })).storeId).toBe("com.example.game");
    expect(game(iosRecord({ app_id: 1, id: 2 })).storeId).toBe("1");
  });

  it("uses the record's rank, else its group's chart position (group + 1), else none", () => {
    expect(game(iosRecord({ rank: 12 }), 3).rank).toBe(12);
    expect(game(iosRecord({ rank: undefined }), 3).rank).toBe(4);
    expect(game(iosRecord({ rank: null }), 0).rank).toBe(1);
    expect(game(iosRecord({ rank: undefined }), null).rank).toBeNull();
  });

  it("optional fields may be missing, null or empty; the name is trimmed", () => {
    const minimal = game({ os: "ios", app_id: 5, name: "  Tiny  " }, null);
    expect(minimal).toEqual({
      platform: "ios",
      storeId: "5",
      name: "Tiny",
      bundleId: null,
      publisherId: null,
      publisherName: null,
      appVersion: null,
      iconUrl: null,
      rank: null,
    });
    expect(game(iosRecord({ bundle_id: "", publisher_name: "", version: "", publisher_id: null, icon_url: "" }))).toMatchObject({
      bundleId: null,
      publisherName: null,
      appVersion: null,
      publisherId: null,
      iconUrl: null,
    });
    expect(game(iosRecord({ icon_url: null }))).toMatchObject({ iconUrl: null });
  });

  it("accepts every usable record of the sample files (only the empty iOS record is rejected)", () => {
    const iosResults = (ios as unknown[][]).flatMap((group, g) => group.map((r) => toGameRecord(r, g)));
    const rejected = iosResults.filter((r) => !r.ok);
    expect(rejected).toHaveLength(1);
    expect((android as unknown[][]).flatMap((group, g) => group.map((r) => toGameRecord(r, g))).every((r) => r.ok)).toBe(true);
  });
});

describe("rejected records, with the reason", () => {
  it.each([
    ["null", null],
    ["an array", [iosRecord()]],
    ["a string", "Rocket League"],
    ["a number", 42],
  ])("a record that is %s is not a JSON object", (_what, value) => {
    expect(reason(value)).toBe("record is not a JSON object");
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["os missing", iosRecord({ os: undefined }), /^os: os must be "ios" or "android"/],
    ["os unknown", iosRecord({ os: "windows" }), /^os: os must be "ios" or "android"/],
    ["os in the wrong case", iosRecord({ os: "iOS" }), /^os: /],
    ["name missing", iosRecord({ name: undefined }), /^name: /],
    ["name empty", iosRecord({ name: "" }), /^name: name is empty/],
    ["name only whitespace", iosRecord({ name: "   " }), /^name: name is empty/],
    ["name not a string", iosRecord({ name: 123 }), /^name: .*string/],
    ["name huge", iosRecord({ name: "x".repeat(10_000) }), /^name: longer than 200 characters/],
    ["no app_id or id", iosRecord({ app_id: undefined, id: undefined }), /^app_id: app_id \(or id\) is missing/],
    ["iOS id not digits", iosRecord({ app_id: "com.example.game" }), /^app_id: app_id must be an App Store id/],
    ["iOS id negative", iosRecord({ app_id: -5 }), /^app_id: /],
    ["iOS id fractional", iosRecord({ app_id: 1.5 }), /^app_id: /],
    ["Android id not a package name", androidRecord({ app_id: "not a package" }), /^app_id: app_id must be a Play package name/],
    ["Android id a number", androidRecord({ app_id: 12345 }), /^app_id: app_id must be a Play package name/],
    ["app_id empty", androidRecord({ app_id: "" }), /^app_id: /],
    ["app_id an object", iosRecord({ app_id: { value: 1 } }), /^app_id: /],
    ["app_id huge", androidRecord({ app_id: `com.${"a".repeat(300)}` }), /^app_id: /],
    ["publisher_name huge", iosRecord({ publisher_name: "p".repeat(256) }), /^publisher_name: longer than 255 characters/],
    ["bundle_id not a string", iosRecord({ bundle_id: 7 }), /^bundle_id: /],
    ["version huge", iosRecord({ version: "1".repeat(65) }), /^version: longer than 64 characters/],
    ["icon_url not a URL", iosRecord({ icon_url: "not a url" }), /^icon_url: /],
    ["icon_url not http(s)", iosRecord({ icon_url: "javascript:alert(1)" }), /^icon_url: /],
    ["icon_url ftp", iosRecord({ icon_url: "ftp://example.com/icon.png" }), /^icon_url: /],
    ["icon_url huge", iosRecord({ icon_url: `https://example.com/${"i".repeat(2_100)}` }), /^icon_url: /],
    ["rank zero", iosRecord({ rank: 0 }), /^rank: /],
    ["rank fractional", iosRecord({ rank: 2.5 }), /^rank: /],
    ["rank a string", iosRecord({ rank: "3" }), /^rank: /],
    ["rank absurd", iosRecord({ rank: 5_000_000 }), /^rank: /],
  ])("%s", (_what, record, expected) => {
    expect(reason(record)).toMatch(expected);
  });

  it.each(["name", "publisher_name", "bundle_id", "version", "publisher_id", "app_id", "icon_url"])(
    "a control character in %s rejects the record, as the API refuses it in the same field",
    (field) => {
      for (const ch of ["\u0000", "\t", "\n", "\u007f", "\u0085"]) {
        const value = { app_id: `com.example${ch}game`, icon_url: `https://example.com/ic${ch}on.png` }[field] ?? `Some${ch}text`;
        expect(reason(androidRecord({ [field]: value, ...(field === "app_id" ? { id: value } : {}) }))).toMatch(new RegExp(`^${field}: must not contain control characters`));
      }
    },
  );

  it("reports at most three problems, each with its field", () => {
    const text = reason({ os: "windows", name: 5, app_id: [], publisher_name: 1, version: 2, rank: "x" });
    const parts = text.split("; ");
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part).toMatch(/^[a-z_]+: /);
  });
});

describe("the hand-checked path gives the schema's result", () => {
  // toGameRecord checks plainly valid records by hand and leaves the rest to the zod schema;
  // toGameRecordBySchema is the schema alone. Generated records mix valid values with every
  // edge the schema has: lengths at and past each limit, control characters, lone surrogates,
  // padded or upper-case URLs, ids of the wrong platform or type, absent, null and empty fields.
  const text = (max: number) =>
    fc.oneof(
      fc.constantFrom("", " ", "  padded  ", "Psyonix LLC", "Pokémon GO", "🎮 Game", "a\u0085b", "tab\there", "lone \ud800", "\udc00x", "x".repeat(max), "x".repeat(max + 1), "é".repeat(max)),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 6 }),
    );
  const id = fc.oneof(
    fc.constantFrom(1549027048, 0, -0, 1.5, -5, 2 ** 53, 1e21, "284882215", "0", "", " 1", "1".repeat(20), "1".repeat(21)),
    fc.constantFrom("com.example.game", "com.x", "a.b_c", "A1.b", "not a package", "com.", ".com.x", `com.${"a".repeat(300)}`, "com.ex\ud800", "com.ex\tx", "com.exam\u0085ple"),
    fc.nat(),
    fc.string({ maxLength: 6 }),
    fc.constantFrom(null, true, [], {}),
  );
  const url = fc.oneof(
    fc.constantFrom(
      "https://is1-ssl.mzstatic.com/icon.png",
      "http://example.com",
      "HTTPS://EXAMPLE.COM/x",
      " https://example.com",
      "https://example.com ",
      "https://exa mple.com",
      "https:/example.com",
      "http:example.com",
      "ftp://example.com/icon.png",
      "javascript:alert(1)",
      "https://",
      "https://[::1]/i.png",
      "https://exa%mple.com",
      "https://example.com/\ud800",
      "https://example.com/\t",
      `https://example.com/${"i".repeat(2028)}`,
      `https://example.com/${"i".repeat(2029)}`,
      "",
    ),
    fc.string({ maxLength: 10 }).map((s) => `https://example.com/${s}`),
    fc.constantFrom(null, 5),
  );
  /** Plainly valid values of each field, for records that mostly pass. */
  const valid = {
    name: fc.constantFrom("Rocket League", "  Tiny  ", "Pokémon GO", "🎮 Game", "x".repeat(200), "lone \ud800"),
    publisher_name: fc.constantFrom("Psyonix LLC", "", null, "p".repeat(255)),
    bundle_id: fc.constantFrom("com.psyonixllc.mesa", "", null),
    version: fc.constantFrom("1.0.3", "Varies with device", "", null, "1".repeat(64)),
    icon_url: fc.constantFrom("https://is1-ssl.mzstatic.com/icon.png", "http://example.com", "https://play-lh.googleusercontent.com/icon=s150", "", null),
    rank: fc.constantFrom(1, 7, 1_000_000, null),
  };
  const validIos = fc.record(
    { os: fc.constant("ios"), app_id: fc.oneof(fc.nat(), fc.nat().map(String)), id: fc.nat(), publisher_id: fc.oneof(fc.nat(), fc.constant(null)), ...valid },
    { requiredKeys: ["os", "app_id", "name"] },
  );
  const validAndroid = fc.record(
    { os: fc.constant("android"), app_id: fc.constantFrom("com.Psyonix.RL2D", "com.x", "a.b_c"), id: fc.constantFrom("com.Psyonix.RL2D", "b.c"), publisher_id: fc.constantFrom("Psyonix+Studios", "x", null), ...valid },
    { requiredKeys: ["os", "id", "name"] },
  );
  const anyRecord = fc.record(
    {
      os: fc.constantFrom("ios", "android", "iOS", "windows", 1, null),
      app_id: id,
      id,
      name: fc.oneof(text(200), fc.constantFrom(123, null)),
      publisher_id: id,
      publisher_name: fc.oneof(text(255), fc.constantFrom(null, 7)),
      bundle_id: fc.oneof(text(255), fc.constantFrom(null, 7)),
      version: fc.oneof(text(64), fc.constantFrom(null, 7)),
      icon_url: url,
      rank: fc.constantFrom(1, 2, 1_000_000, 1_000_001, 0, -1, 2.5, "3", null),
      rating: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );
  /** A valid record with up to three fields taken from anyRecord. */
  const record = fc.oneof(
    anyRecord,
    fc
      .tuple(fc.oneof(validIos, validAndroid), anyRecord, fc.nat(3))
      .map(([base, edges, k]) => ({ ...base, ...Object.fromEntries(Object.entries(edges).slice(0, k)) })),
  );

  it("on generated records: the same game, or the same reasons", () => {
    let plain = 0;
    let rejected = 0;
    fc.assert(
      fc.property(record, fc.option(fc.nat(200)), (value, group) => {
        const bySchema = toGameRecordBySchema(value, group);
        expect(toGameRecord(value, group)).toEqual(bySchema);
        const game = plainlyValidGame(value, group);
        if (game) {
          plain++;
          expect(bySchema).toEqual({ ok: true, game });
        }
        if (!bySchema.ok) rejected++;
      }),
      { numRuns: 20_000 },
    );
    // Both paths were taken, and both verdicts reached.
    expect(plain).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(1_000);
  });

  it("every valid record of the sample files takes the hand-checked path", () => {
    const records = [...(ios as unknown[][]), ...(android as unknown[][])].flatMap((group, g) => group.map((r) => [r as Record<string, unknown>, g] as const));
    const valid = records.filter(([r, g]) => toGameRecordBySchema(r, g).ok);
    expect(valid.length).toBe(599);
    for (const [r, g] of valid) expect(plainlyValidGame(r, g), JSON.stringify(r).slice(0, 80)).toEqual((toGameRecordBySchema(r, g) as { game: GameRecord }).game);
  });
});
