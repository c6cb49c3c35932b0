import { describe, expect, it } from "vitest";
import { displayPrefix, generateApiKey, isWellFormedApiKey, KEY_PREFIX } from "../../../src/core/domain/key-format";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SHAPE = /^gdb_[0-9A-Za-z]{36}$/;

describe("generated API keys", () => {
  const keys = Array.from({ length: 2_000 }, () => generateApiKey());

  it("are gdb_ followed by 36 base62 characters", () => {
    expect(KEY_PREFIX).toBe("gdb_");
    for (const key of keys) expect(key).toMatch(SHAPE);
  });

  it("pass their own checksum", () => {
    for (const key of keys) expect(isWellFormedApiKey(key), key).toBe(true);
  });

  it("are unique", () => {
    expect(new Set(keys).size).toBe(keys.length);
    // The random part alone is unique too (not just the checksum making keys differ).
    expect(new Set(keys.map((k) => k.slice(4, 34))).size).toBe(keys.length);
  });

  it("use the whole base62 alphabet in the random part", () => {
    const seen = new Set(keys.flatMap((k) => [...k.slice(4, 34)]));
    expect([...seen].sort().join("")).toBe([...BASE62].sort().join(""));
  });
});

describe("the checksum", () => {
  it("rejects every single-character change anywhere after the prefix", () => {
    for (let n = 0; n < 3; n++) {
      const key = generateApiKey();
      for (let i = KEY_PREFIX.length; i < key.length; i++) {
        for (const replacement of BASE62) {
          if (replacement === key[i]) continue;
          const changed = key.slice(0, i) + replacement + key.slice(i + 1);
          expect(isWellFormedApiKey(changed), `position ${i} -> ${replacement}`).toBe(false);
        }
      }
    }
  });

  it("rejects two swapped neighbouring characters", () => {
    const key = generateApiKey();
    for (let i = KEY_PREFIX.length; i < key.length - 1; i++) {
      if (key[i] === key[i + 1]) continue;
      const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
      expect(isWellFormedApiKey(swapped), `swap at ${i}`).toBe(false);
    }
  });

  it("rejects keys of the wrong shape", () => {
    const key = generateApiKey();
    const bad = [
      "",
      KEY_PREFIX,
      key.slice(0, -1),
      `${key}0`,
      `ghp_${key.slice(4)}`,
      `GDB_${key.slice(4)}`,
      key.replace(/^gdb_/, "gdb-"),
      `${key.slice(0, 10)}-${key.slice(11)}`,
      ` ${key}`,
      `${key}\n`,
      key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase(),
    ];
    for (const candidate of bad) expect(isWellFormedApiKey(candidate), JSON.stringify(candidate)).toBe(false);
  });
});

describe("the display prefix", () => {
  it("is gdb_ plus the first 8 random characters, and identifies without revealing the key", () => {
    const key = generateApiKey();
    const prefix = displayPrefix(key);
    expect(prefix).toMatch(/^gdb_[0-9A-Za-z]{8}$/);
    expect(key.startsWith(prefix)).toBe(true);
    expect(prefix.length).toBeLessThan(key.length - 20);
  });
});
