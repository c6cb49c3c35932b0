import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DATA_VERSION_KEY } from "../../../../src/core/data/data-version";
import { callSettled as send, type Settled } from "../../../helpers/api";
import { sampleGame } from "../../../support/client";
import { LaggingReplica } from "../../../support/lagging-replica";
import { kvClock } from "../../../support/limited-env";

// The read cache under D1 read replication: after a write bumps the data version, the next cache
// miss may be answered by a replica that has not seen the write yet. Stored under the new version,
// that old data would be served to everyone as current until the entry expires (300 s), long after
// the replica caught up. The local D1 cannot lag, so the Worker runs over a database with a lagging
// replica (test/support/lagging-replica.ts). The writer and the reader are different isolates
// (fresh `env` objects: fresh services), as two locations would be; every call waits for its
// deferred work (the data version write) before returning.

const replica = new LaggingReplica(env.DB, env.REPLICA_DB);
const isolate = (): Env => ({ ...env, DB: replica.binding });
const json = <T = any>(res: Settled): T => JSON.parse(res.text) as T;

beforeAll(async () => {
  await applyD1Migrations(env.REPLICA_DB, env.TEST_MIGRATIONS);
});
// Each test's writes are more than a second apart on KV's clock: no 429 on the data version.
beforeEach(() => kvClock.advance(1_000));

/** A game named "Before" that the replica has seen, renamed "After" on the primary by another isolate. */
async function renamedBehindTheReplica(): Promise<number> {
  const created = await send("/api/games", { body: sampleGame({ name: "Before" }), env: isolate() });
  expect(created.status).toBe(201);
  const id = json(created).id as number;
  await replica.catchUp();
  kvClock.advance(1_000);
  const renamed = await send(`/api/games/${id}`, { method: "PATCH", body: { name: "After" }, env: isolate() });
  expect(renamed.status).toBe(200);
  return id;
}

describe("a cache miss after a write, answered near a lagging replica", () => {
  it("the naive order — a new data version that does not say how fresh a read must be — stores the replica's old data as current", async () => {
    const id = await renamedBehindTheReplica();
    // The version as a bump without the write's bookmark names it (as before read replication).
    await env.CACHE.put(DATA_VERSION_KEY, JSON.stringify(`naive-${crypto.randomUUID()}`));

    const reader = isolate();
    const served = replica.served.replica;
    // Two misses: the second is stored (a miss is stored when it repeats in the isolate).
    for (let i = 0; i < 2; i++) {
      const miss = await send(`/api/games/${id}`, { env: reader });
      expect(miss.headers.get("X-Cache")).toBe("MISS");
      expect(json(miss).name).toBe("Before");
    }
    expect(replica.served.replica).toBe(served + 2);

    // The replica catches up, yet the cache keeps serving the old name as current.
    await replica.catchUp();
    for (const where of [reader, isolate()]) {
      const hit = await send(`/api/games/${id}`, { env: where });
      expect(hit.headers.get("X-Cache")).toBe("HIT");
      expect(json(hit).name).toBe("Before");
    }
    expect((await env.DB.prepare("SELECT name FROM games WHERE id = ?").bind(id).first("name"))).toBe("After");
  });

  it("the product: the version carries the write's bookmark, the miss reads at least that fresh, and the cache holds the new data", async () => {
    const id = await renamedBehindTheReplica();
    const stored = await env.CACHE.get<string>(DATA_VERSION_KEY, "json");
    expect(stored).toMatch(/@[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);

    const reader = isolate();
    const before = { ...replica.served };
    // Two misses: the second is stored (a miss is stored when it repeats in the isolate).
    for (let i = 0; i < 2; i++) {
      const miss = await send(`/api/games/${id}`, { env: reader });
      expect(miss.headers.get("X-Cache")).toBe("MISS");
      expect(json(miss).name).toBe("After");
      // The response's bookmark is at least the write's.
      expect(miss.headers.get("X-D1-Bookmark")! >= stored!.split("@")[1]!).toBe(true);
    }
    // The replica was too old for the reads, so the primary answered them.
    expect(replica.served.replica).toBe(before.replica);
    expect(replica.served.primary).toBeGreaterThan(before.primary);

    for (const where of [reader, isolate()]) {
      const hit = await send(`/api/games/${id}`, { env: where });
      expect(hit.headers.get("X-Cache")).toBe("HIT");
      expect(json(hit).name).toBe("After");
      expect(hit.headers.get("X-D1-Bookmark")! >= stored!.split("@")[1]!).toBe(true);
    }
  });

  it("a list and a search miss are held to the write's bookmark too", async () => {
    const id = await renamedBehindTheReplica();
    for (const path of ["/api/games?limit=1000", "/api/games/search?name=after", `/api/games/search?name=before`]) {
      const res = await send(path, { env: isolate() });
      expect(res.headers.get("X-Cache"), path).toBe("MISS");
      const names = json<{ id: number; name: string }[]>(res).filter((g) => g.id === id).map((g) => g.name);
      expect(names, path).toEqual(path.endsWith("before") ? [] : ["After"]);
    }
  });

  it("once the replica has caught up, misses are answered by the replica again", async () => {
    await renamedBehindTheReplica();
    await replica.catchUp();
    const before = replica.served.replica;
    const res = await send("/api/games?limit=2&platform=ios", { env: isolate() });
    expect(res.headers.get("X-Cache")).toBe("MISS");
    expect(replica.served.replica).toBeGreaterThan(before);
  });
});

describe("a client that sends back its write's bookmark, to an isolate whose cache has not heard of the write", () => {
  // Another location: KV there still holds the version from before the write (KV propagates in
  // about 60 s), so the cached entry from before the write still looks current.
  it("is not served the cached entry from before its write: the read misses, at least as fresh as the bookmark", async () => {
    const created = await send("/api/games", { body: sampleGame({ name: "Cached before" }), env: isolate() });
    const id = json(created).id as number;
    await replica.catchUp();
    kvClock.advance(1_000);
    const elsewhere = isolate();
    // Cached there: the second miss stores the entry, the third read is a HIT.
    for (const expected of ["MISS", "MISS", "HIT"]) {
      const res = await send(`/api/games/${id}`, { env: elsewhere });
      expect(res.headers.get("X-Cache")).toBe(expected);
      expect(json(res).name).toBe("Cached before");
    }
    const versionThere = await env.CACHE.get(DATA_VERSION_KEY);

    kvClock.advance(1_000);
    const written = await send(`/api/games/${id}`, { method: "PATCH", body: { name: "Written after" }, env: isolate() });
    expect(written.status).toBe(200);
    const bookmark = written.headers.get("X-D1-Bookmark")!;
    expect(bookmark).toMatch(/^[0-9a-f]{8}-/);
    await env.CACHE.put(DATA_VERSION_KEY, versionThere!);

    // Without the bookmark: the documented bound for other clients (the version has not arrived).
    const other = await send(`/api/games/${id}`, { env: elsewhere });
    expect(other.headers.get("X-Cache")).toBe("HIT");
    expect(json(other).name).toBe("Cached before");

    // With it: never the entry that predates the write, and never the lagging replica.
    const primaryBefore = replica.served.primary;
    const own = await send(`/api/games/${id}`, { env: elsewhere, headers: { "X-D1-Bookmark": bookmark } });
    expect(own.headers.get("X-Cache")).toBe("MISS");
    expect(json(own).name).toBe("Written after");
    expect(replica.served.primary).toBeGreaterThan(primaryBefore);
    expect(own.headers.get("X-D1-Bookmark")! >= bookmark).toBe(true);
    // If-None-Match with the old ETag does not turn it into a 304 either.
    const revalidated = await send(`/api/games/${id}`, { env: elsewhere, headers: { "X-D1-Bookmark": bookmark, "If-None-Match": other.headers.get("ETag")! } });
    expect(revalidated.status).toBe(200);
    expect(json(revalidated).name).toBe("Written after");
  });

  it("an entry at least as fresh as the bookmark is still a HIT", async () => {
    const res = await send("/api/games?limit=3&platform=android", { env: isolate() });
    const bookmark = res.headers.get("X-D1-Bookmark")!;
    const reader = isolate();
    await send("/api/games?limit=3&platform=android", { env: reader });
    await send("/api/games?limit=3&platform=android", { env: reader });
    const hit = await send("/api/games?limit=3&platform=android", { env: reader, headers: { "X-D1-Bookmark": bookmark } });
    expect(hit.headers.get("X-Cache")).toBe("HIT");
  });
});
