import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { asInvocation, currentBudget, InvocationBudget } from "./invocation";
import { cacheWriteRate, isolateEnv } from "./limited-env";
import { waitFor } from "./wait";

describe("the Worker under test runs behind the limits", () => {
  it("requests through SELF write KV through the limited binding", async () => {
    const before = cacheWriteRate.writes.length;
    // A miss is kept in memory when it repeats and written to KV when read again
    // (src/core/http/middleware/read-cache.ts): three reads.
    for (let i = 0; i < 3; i++) {
      const res = await SELF.fetch("http://game-db.test/api/games?limit=3", { headers: { Authorization: `Bearer ${env.ADMIN_API_KEY}` } });
      expect(res.status).toBe(200);
    }
    // The HIT from memory stores its entry after the response (waitUntil).
    const writes = await waitFor(async () => cacheWriteRate.writes.slice(before), (w) => w.some((x) => x.key.startsWith("read:")), { what: "the cache write" });
    expect(writes.every((w) => w.op === "PUT")).toBe(true);
  });

  it("messages delivered by the real queue reach the Worker through the limited bindings", async () => {
    const spent = vi.spyOn(InvocationBudget.prototype, "spendD1");
    // A message for a file the ledger does not know: the consumer looks it up in D1 and drops it.
    await env.INGEST_QUEUE.send({ v: 1, fileId: 987_654, runId: 1, key: "daily/unknown.json", etag: '"0"' });
    await waitFor(async () => spent.mock.calls.length, (n) => n > 0, { timeoutMs: 15_000, what: "the consumer's D1 queries" });
    vi.restoreAllMocks();
  }, 20_000);

  it("the limited env is one per real env, so the Worker's services live as long as the isolate", () => {
    expect(isolateEnv(env)).toBe(isolateEnv(env));
    expect(isolateEnv(env).DB).not.toBe(env.DB);
    expect(isolateEnv(env).CACHE).not.toBe(env.CACHE);
  });
});

describe("invocations", () => {
  it("each has its own budget, which follows the work it defers", async () => {
    const a = new InvocationBudget();
    const b = new InvocationBudget();
    let deferred!: Promise<InvocationBudget>;
    await Promise.all([
      asInvocation(async () => {
        deferred = new Promise((resolve) => setTimeout(() => resolve(currentBudget()), 5));
        expect(currentBudget()).toBe(a);
      }, a),
      asInvocation(async () => expect(currentBudget()).toBe(b), b),
    ]);
    expect(await deferred).toBe(a);
  });

  it("a limited binding used outside of any invocation is a wiring mistake", async () => {
    await expect(isolateEnv(env).DB.prepare("SELECT 1").first()).rejects.toThrow(/outside of an invocation/);
  });
});
