import { describe, expect, it } from "vitest";
import { createHotEntries } from "../../../../src/core/http/middleware/hot-entries";

const entry = (chars: number, tag = "") => ({ body: "x".repeat(chars), tag });

describe("hot entries (the read cache's isolate memory)", () => {
  it("gives back what was set, and nothing after delete", () => {
    const memory = createHotEntries<{ body: string; tag: string }>(1_000);
    memory.set("a", entry(10, "A"));
    expect(memory.get("a")?.tag).toBe("A");
    memory.set("a", entry(20, "A2"));
    expect(memory.get("a")?.tag).toBe("A2");
    expect(memory.size).toBe(21);
    memory.delete("a");
    expect(memory.get("a")).toBeUndefined();
    expect(memory.size).toBe(0);
  });

  it("holds at most its bound, pushing out the least recently used first", () => {
    const memory = createHotEntries<{ body: string; tag: string }>(1_000);
    for (const key of ["a", "b", "c", "d"]) memory.set(key, entry(99));
    memory.get("a"); // used: now the newest
    memory.set("e", entry(99));
    memory.set("f", entry(99));
    memory.set("g", entry(99));
    memory.set("h", entry(99));
    memory.set("i", entry(99));
    memory.set("j", entry(99)); // 10 × 100 characters (key and body): exactly the bound
    expect(memory.get("b")).toBeDefined();
    memory.set("k", entry(99)); // one more pushes out the least recently used: c (b was just read)
    expect(memory.size).toBeLessThanOrEqual(1_000);
    expect(memory.get("c")).toBeUndefined();
    expect(memory.get("a")).toBeDefined();
    expect(memory.get("b")).toBeDefined();
    expect(memory.get("j")).toBeDefined();
  });

  it("leaves an entry larger than an eighth of the bound to KV", () => {
    const memory = createHotEntries<{ body: string; tag: string }>(1_000);
    memory.set("small", entry(100));
    memory.set("large", entry(200));
    expect(memory.get("large")).toBeUndefined();
    expect(memory.get("small")).toBeDefined();
    // Replacing an entry by one too large drops the old one rather than keeping it stale.
    memory.set("small", entry(500));
    expect(memory.get("small")).toBeUndefined();
    expect(memory.size).toBe(0);
  });
});
