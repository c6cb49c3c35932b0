import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { InvocationBudget } from "./invocation";
import { KvFaults } from "./kv-faults";
import { AdvanceableClock, KvWriteRate } from "./kv-write-rate";
import { limitedKv } from "./limited-kv";
import { KV_LIMITS } from "./platform-limits";

// The limited KV is the real local KV (values land in env.CACHE) that refuses, with production's
// errors, what production refuses and Miniflare lets through.

class ManualClock {
  t = 1_000_000;
  now = () => this.t;
}

function setup() {
  const clock = new ManualClock();
  const writeRate = new KvWriteRate(clock);
  const faults = new KvFaults();
  const invocation = () => {
    const budget = new InvocationBudget();
    return { kv: limitedKv(env.CACHE, { budget: () => budget, writeRate, faults }), budget };
  };
  return { clock, writeRate, faults, invocation };
}

let seq = 0;
const uniqueKey = (name: string) => `limits-test:${name}:${seq++}`;

describe("one write per second per key", () => {
  it("a second put within the second fails with 429; one a full second later lands", async () => {
    const { clock, writeRate, invocation } = setup();
    const { kv } = invocation();
    const key = uniqueKey("rate");
    await kv.put(key, "first");
    clock.t += 999;
    await expect(kv.put(key, "second")).rejects.toThrow(/^KV PUT failed: 429 Too Many Requests$/);
    expect(await env.CACHE.get(key)).toBe("first");
    clock.t += 1;
    await kv.put(key, "third");
    expect(await env.CACHE.get(key)).toBe("third");
    expect(writeRate.writesTo(key).map((w) => w.op)).toEqual(["PUT", "PUT"]);
    expect(writeRate.refusedFor(key)).toHaveLength(1);
  });

  it("spans invocations and isolates: the limit is the key's, not the caller's", async () => {
    const { invocation } = setup();
    const key = uniqueKey("shared");
    await invocation().kv.put(key, "a");
    await expect(invocation().kv.put(key, "b")).rejects.toThrow("KV PUT failed: 429 Too Many Requests");
  });

  it("a delete is a write too; other keys are not limited", async () => {
    const { invocation } = setup();
    const { kv } = invocation();
    const key = uniqueKey("delete");
    await kv.put(key, "v");
    await expect(kv.delete(key)).rejects.toThrow(/^KV DELETE failed: 429 Too Many Requests$/);
    for (let i = 0; i < 5; i++) await kv.put(uniqueKey("other"), "v");
  });

  it("the shared clock follows the wall clock and can be moved on, so a test need not wait a second", () => {
    const clock = new AdvanceableClock();
    const rate = new KvWriteRate(clock);
    const start = clock.now();
    expect(Math.abs(start - Date.now())).toBeLessThan(50);
    rate.claim("k", "PUT");
    expect(() => rate.claim("k", "PUT")).toThrow("KV PUT failed: 429 Too Many Requests");
    clock.advance(1000);
    expect(() => rate.claim("k", "PUT")).not.toThrow();
  });

  it("reads are not limited", async () => {
    const { invocation } = setup();
    const { kv } = invocation();
    const key = uniqueKey("reads");
    await kv.put(key, "v");
    for (let i = 0; i < 5; i++) expect(await kv.get(key)).toBe("v");
  });
});

describe("operations per invocation", () => {
  it("1,000 pass; the 1,001st fails with the runtime's invocation limit", async () => {
    const { invocation } = setup();
    const { kv, budget } = invocation();
    for (let i = 0; i < KV_LIMITS.operationsPerInvocation; i++) await kv.get("missing");
    expect(budget.kvOperations).toBe(1000);
    await expect(kv.get("missing")).rejects.toThrow(/^Too many API requests by single worker invocation\.$/);
    await expect(kv.put(uniqueKey("late"), "v")).rejects.toThrow("Too many API requests by single worker invocation.");
    expect(await invocation().kv.get("missing")).toBeNull();
  });

  it("a bulk get of many keys counts as one operation", async () => {
    const { invocation } = setup();
    const { kv, budget } = invocation();
    const keys = Array.from({ length: 100 }, (_, i) => `bulk-${i}`);
    const values = await kv.get(keys, "json");
    expect(values.size).toBe(100);
    expect(budget.kvOperations).toBe(1);
  });
});

describe("sizes", () => {
  it("keys: 512 bytes pass, 513 fail with 414, counted in UTF-8", async () => {
    const { invocation } = setup();
    const { kv } = invocation();
    await kv.put("k".repeat(512), "v");
    expect(await kv.get("k".repeat(512))).toBe("v");
    await expect(kv.put("k".repeat(513), "v")).rejects.toThrow("KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.");
    await expect(kv.get("é".repeat(257))).rejects.toThrow("KV GET failed: 414 UTF-8 encoded length of 514 exceeds key length limit of 512.");
    await expect(kv.delete("k".repeat(600))).rejects.toThrow("KV DELETE failed: 414 UTF-8 encoded length of 600");
  });

  it("values: 25 MiB pass, one byte more fails with 413", async () => {
    const { invocation } = setup();
    const { kv } = invocation();
    const key = uniqueKey("big");
    await kv.put(key, new Uint8Array(KV_LIMITS.valueBytes));
    expect((await env.CACHE.get(key, "arrayBuffer"))!.byteLength).toBe(KV_LIMITS.valueBytes);
    await expect(kv.put(uniqueKey("too-big"), "x".repeat(KV_LIMITS.valueBytes + 1))).rejects.toThrow(
      `KV PUT failed: 413 Value length of ${KV_LIMITS.valueBytes + 1} exceeds limit of ${KV_LIMITS.valueBytes}.`,
    );
  });

  it("metadata: 1024 bytes of JSON pass, 1025 fail with 413", async () => {
    const { invocation } = setup();
    const { kv } = invocation();
    const ofJsonLength = (n: number) => ({ m: "x".repeat(n - 8) }); // {"m":"…"} is 8 bytes around the text
    await kv.put(uniqueKey("meta"), "v", { metadata: ofJsonLength(1024) });
    await expect(kv.put(uniqueKey("meta"), "v", { metadata: ofJsonLength(1025) })).rejects.toThrow(
      "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.",
    );
  });
});

describe("injected faults", () => {
  const { faults, invocation } = setup();
  afterEach(() => faults.clear());

  it("fail the chosen kind of operation, as many times as asked", async () => {
    const { kv } = invocation();
    const key = uniqueKey("faults");
    faults.fail("write", { times: 1 });
    await expect(kv.put(key, "v")).rejects.toThrow("KV PUT failed: 503 Service Unavailable");
    faults.fail("read");
    await expect(kv.get(key)).rejects.toThrow("KV GET failed: 503");
    await expect(kv.get([key, "other"])).rejects.toThrow("KV GET failed: 503");
    await kv.put(key, "after");
    faults.clear();
    expect(await kv.get(key)).toBe("after");
  });
});
