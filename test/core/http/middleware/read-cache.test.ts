import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { callJson, callSettled as send, createKey, type Settled } from "../../../helpers/api";
import { generatedRows, seedRows } from "../../../helpers/games";
import { cacheFaults, cacheWriteRate, isolateDeps } from "../../../support/limited-env";
import { waitFor } from "../../../support/wait";
import { sampleGame } from "../../../support/client";
import { DATA_VERSION_KEY } from "../../../../src/core/data/data-version";

// Every request here goes through `callSettled`, which waits for the deferred cache write of a
// MISS before returning, so "the next request is a HIT" does not depend on timing.

let ids: number[] = [];

beforeAll(async () => {
  // Seeded before any read in this file, so no cached read predates these rows.
  ids = await seedRows(generatedRows(12, "Cache"));
});

const json = <T = any>(res: Settled): T => JSON.parse(res.text) as T;

/**
 * Reads `path` until it is cached, proving the first read was a MISS. A miss is stored only when
 * the same key missed before in the isolate (MissAdmission): the second read is a HIT when this
 * key missed earlier in the file, else a MISS that stores it, and the third a HIT.
 */
async function warm(path: string, options: Parameters<typeof send>[1] = {}) {
  const miss = await send(path, options);
  expect(miss.status, miss.text).toBe(200);
  expect(miss.headers.get("X-Cache")).toBe("MISS");
  let hit = await send(path, options);
  if (hit.headers.get("X-Cache") === "MISS") {
    expect(hit.text).toBe(miss.text);
    hit = await send(path, options);
  }
  expect(hit.status).toBe(200);
  expect(hit.headers.get("X-Cache")).toBe("HIT");
  return { miss, hit };
}

async function readEntryCount(): Promise<number> {
  return (await env.CACHE.list({ prefix: "read:" })).keys.length;
}

describe("MISS then HIT", () => {
  it.each(["/api/games?limit=5", "/api/games?limit=4&platform=android", "/api/games/search?name=cache&limit=3"])(
    "%s: the HIT repeats the MISS exactly (body, ETag, Link, X-Total-Count, Content-Type)",
    async (path) => {
      const { miss, hit } = await warm(path);
      expect(hit.text).toBe(miss.text);
      expect(miss.headers.get("ETag")).toMatch(/^"[^"]+"$/);
      for (const header of ["ETag", "Link", "X-Total-Count", "Content-Type", "Cache-Control"]) {
        expect(hit.headers.get(header), header).toBe(miss.headers.get(header));
      }
      expect(miss.headers.get("Link")).not.toBeNull();
      expect(miss.headers.get("X-Total-Count")).not.toBeNull();
      expect(miss.headers.get("Content-Type")).toMatch(/^application\/json/);
    },
  );

  it("GET /api/games/{id} is cached too", async () => {
    const { miss, hit } = await warm(`/api/games/${ids[0]}`);
    expect(json(hit)).toEqual(json(miss));
    expect(json(hit).id).toBe(ids[0]);
  });

  it("the ETag changes when the representation does", async () => {
    const a = await send(`/api/games/${ids[1]}`);
    const b = await send(`/api/games/${ids[2]}`);
    expect(a.headers.get("ETag")).not.toBe(b.headers.get("ETag"));
  });
});

describe("If-None-Match", () => {
  it("with the current ETag → 304 without a body, on a HIT", async () => {
    const { miss } = await warm("/api/games?limit=6");
    const etag = miss.headers.get("ETag")!;
    const res = await send("/api/games?limit=6", { headers: { "If-None-Match": etag } });
    expect(res.status).toBe(304);
    expect(res.text).toBe("");
    expect(res.headers.get("ETag")).toBe(etag);
    expect(res.headers.get("X-Cache")).toBe("HIT");
  });

  it("with the current ETag → 304 also on a MISS whose fresh response has that ETag", async () => {
    const path = `/api/games/${ids[3]}`;
    const { miss } = await warm(path);
    const etag = miss.headers.get("ETag")!;
    // A write elsewhere invalidates every entry without changing this game.
    const other = await send("/api/games", { body: sampleGame({ storeId: "880000001" }) });
    expect(other.status).toBe(201);
    const res = await send(path, { headers: { "If-None-Match": etag } });
    expect(res.headers.get("X-Cache")).toBe("MISS");
    expect(res.status).toBe(304);
    expect(res.text).toBe("");
    expect(res.headers.get("ETag")).toBe(etag);
    await send(`/api/games/${json(other).id}`, { method: "DELETE" });
  });

  it("matches a weak W/ form, a list of tags and *", async () => {
    const { miss } = await warm("/api/games?limit=7");
    const etag = miss.headers.get("ETag")!;
    for (const header of [`W/${etag}`, `"nope", ${etag}`, `W/"nope" , W/${etag}`, "*"]) {
      const res = await send("/api/games?limit=7", { headers: { "If-None-Match": header } });
      expect(res.status, header).toBe(304);
      expect(res.text).toBe("");
    }
  });

  it("a different or stale ETag gets the full 200", async () => {
    const { miss } = await warm("/api/games?limit=8");
    for (const header of ['"nope"', 'W/"nope"', `"${miss.headers.get("ETag")!.slice(1, -2)}"`]) {
      const res = await send("/api/games?limit=8", { headers: { "If-None-Match": header } });
      expect(res.status, header).toBe(200);
      expect(res.text).toBe(miss.text);
    }
  });
});

describe("a client never reads its own write stale", () => {
  it("POST: the next list read is a MISS that contains the new game", async () => {
    const path = "/api/games?limit=1000";
    const { hit } = await warm(path);
    const created = await send("/api/games", { body: sampleGame({ storeId: "880000002", name: "Freshly Made" }) });
    expect(created.status).toBe(201);
    const after = await send(path);
    expect(after.headers.get("X-Cache")).toBe("MISS");
    expect(json<any[]>(after)).toEqual([...json<any[]>(hit), json(created)]);
    expect(after.headers.get("X-Total-Count")).toBe(String(json<any[]>(hit).length + 1));
    expect(after.headers.get("ETag")).not.toBe(hit.headers.get("ETag"));
    await send(`/api/games/${json(created).id}`, { method: "DELETE" });
  });

  it("PUT: the next get, list and search are MISSes that show the change", async () => {
    const id = ids[4]!;
    await warm(`/api/games/${id}`);
    await warm("/api/games?limit=1000");
    await warm("/api/games/search?name=renamed%20by%20put");
    const put = await send(`/api/games/${id}`, { method: "PUT", body: { name: "Renamed By Put", platform: "ios", storeId: "770000001" } });
    expect(put.status, put.text).toBe(200);

    const one = await send(`/api/games/${id}`);
    expect(one.headers.get("X-Cache")).toBe("MISS");
    expect(json(one)).toMatchObject({ name: "Renamed By Put", storeId: "770000001" });
    const list = await send("/api/games?limit=1000");
    expect(list.headers.get("X-Cache")).toBe("MISS");
    expect(json<any[]>(list).find((g) => g.id === id)).toEqual(json(put));
    const search = await send("/api/games/search?name=renamed%20by%20put");
    expect(search.headers.get("X-Cache")).toBe("MISS");
    expect(json<any[]>(search)).toEqual([json(put)]);
  });

  it("PATCH: the next get is a MISS that shows the change", async () => {
    const id = ids[5]!;
    const { hit } = await warm(`/api/games/${id}`);
    const patch = await send(`/api/games/${id}`, { method: "PATCH", body: { appVersion: "4.5.6" } });
    expect(patch.status, patch.text).toBe(200);
    const after = await send(`/api/games/${id}`);
    expect(after.headers.get("X-Cache")).toBe("MISS");
    expect(json(after)).toEqual({ ...json(hit), appVersion: "4.5.6", updatedAt: json(after).updatedAt });
  });

  it("DELETE: the next get is a 404 and the next list no longer has the game", async () => {
    const created = await send("/api/games", { body: sampleGame({ storeId: "880000003" }) });
    const id = json(created).id;
    await warm(`/api/games/${id}`);
    const { hit: listed } = await warm("/api/games?limit=1000");
    expect(json<any[]>(listed).some((g) => g.id === id)).toBe(true);

    expect((await send(`/api/games/${id}`, { method: "DELETE" })).status).toBe(200);
    const gone = await send(`/api/games/${id}`);
    expect(gone.status).toBe(404);
    const list = await send("/api/games?limit=1000");
    expect(list.headers.get("X-Cache")).toBe("MISS");
    expect(json<any[]>(list).some((g) => g.id === id)).toBe(false);
  });

  it("a refused write does not invalidate the cache", async () => {
    const path = `/api/games/${ids[6]}`;
    await warm(path);
    const conflict = await send("/api/games", { body: sampleGame({ platform: "ios", storeId: "100000" }) });
    expect(conflict.status, conflict.text).toBe(409);
    const invalid = await send(`/api/games/${ids[6]}`, { method: "PATCH", body: { rank: 0 } });
    expect(invalid.status).toBe(400);
    expect((await send(path)).headers.get("X-Cache")).toBe("HIT");
  });
});

describe("entries are per query", () => {
  it("different limit, platform, offset or id are separate entries", async () => {
    await warm("/api/games?limit=2");
    for (const path of ["/api/games?limit=3", "/api/games?limit=2&platform=ios", "/api/games?limit=2&offset=1", `/api/games/${ids[7]}`]) {
      const res = await send(path);
      expect(res.headers.get("X-Cache"), path).toBe("MISS");
    }
    const three = await send("/api/games?limit=3");
    expect(json<any[]>(three)).toHaveLength(3);
    const two = await send("/api/games?limit=2");
    expect(two.headers.get("X-Cache")).toBe("HIT");
    expect(json<any[]>(two)).toHaveLength(2);
  });

  it("the order of query parameters does not matter", async () => {
    await warm("/api/games?limit=9&platform=ios");
    const reordered = await send("/api/games?platform=ios&limit=9");
    expect(reordered.headers.get("X-Cache")).toBe("HIT");
  });

  it("POST search is cached per body", async () => {
    const a = await warm("/api/games/search?limit=50", { body: { name: "Game 1" } });
    const b = await send("/api/games/search?limit=50", { body: { name: "Game 2" } });
    expect(b.headers.get("X-Cache")).toBe("MISS");
    expect(json(b)).not.toEqual(json(a.hit));
    const c = await send("/api/games/search?limit=50", { body: { name: "Game 1", platform: "android" } });
    expect(c.headers.get("X-Cache")).toBe("MISS");
    const again = await send("/api/games/search?limit=50", { body: { name: "Game 1" } });
    expect(again.headers.get("X-Cache")).toBe("HIT");
    expect(again.text).toBe(a.miss.text);
    // The GET form with the same criteria is its own entry but the same result.
    const viaGet = await send("/api/games/search?limit=50&name=Game%201");
    expect(viaGet.headers.get("X-Cache")).toBe("MISS");
    expect(viaGet.text).toBe(a.miss.text);
  });
});

describe("entry keys", () => {
  it("a short request is its own key, readable in the namespace", async () => {
    await warm("/api/games?platform=android&limit=7");
    const entry = await env.CACHE.get<{ body: string }>("read:GET /api/games?limit=7&platform=android ", "json");
    expect(entry?.body).toContain('"platform":"android"');
  });

  it("a request too long for a KV key is stored under its SHA-256 and still hits", async () => {
    // 100 two-byte characters, percent-encoded: 600 bytes of query, past KV's 512-byte keys.
    const name = "é".repeat(100);
    const path = `/api/games/search?name=${encodeURIComponent(name)}`;
    const before = new Set((await env.CACHE.list({ prefix: "read:sha256:" })).keys.map((k) => k.name));
    const { miss, hit } = await warm(path);
    expect(hit.text).toBe(miss.text);
    const added = (await env.CACHE.list({ prefix: "read:sha256:" })).keys.map((k) => k.name).filter((k) => !before.has(k));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^read:sha256:[0-9a-f]{64}$/);
    // A POST search with the same criteria in its body is long too, and a key of its own.
    const { hit: byBody } = await warm("/api/games/search", { body: { name } });
    expect(byBody.text).toBe(miss.text);
    const all = (await env.CACHE.list({ prefix: "read:" })).keys.map((k) => k.name);
    expect(all.every((k) => new TextEncoder().encode(k).byteLength <= 512)).toBe(true);
  });
});

describe("entries held in isolate memory", () => {
  const KEY = "read:GET /api/games?limit=6&platform=ios ";

  it("a HIT held in memory reads only the data version: it is served with its KV copy gone, until the data changes", async () => {
    const { hit } = await warm("/api/games?platform=ios&limit=6");
    await env.CACHE.delete(KEY);
    const held = await send("/api/games?platform=ios&limit=6");
    expect(held.headers.get("X-Cache")).toBe("HIT");
    expect(held.text).toBe(hit.text);
    expect(held.headers.get("ETag")).toBe(hit.headers.get("ETag"));

    const created = await send("/api/games", { method: "POST", body: sampleGame({ platform: "ios", name: "Held Memory" }) });
    expect(created.status).toBe(201);
    const after = await send("/api/games?platform=ios&limit=6");
    expect(after.headers.get("X-Cache")).toBe("MISS");
    const page = await send(`/api/games?platform=ios&limit=1000`);
    expect(json<{ name: string }[]>(page).some((g) => g.name === "Held Memory")).toBe(true);
  });

  it("an entry is held no longer than its KV twin lives (300 s from when it was computed)", async () => {
    await warm("/api/games?platform=ios&limit=5");
    const key = "read:GET /api/games?limit=5&platform=ios ";
    const memory = isolateDeps(env).readCacheMemory;
    const held = memory.get(key)!;
    expect(held).toBeDefined();
    await env.CACHE.delete(key);
    memory.set(key, { ...held, storedAt: held.storedAt! - 300_001 });
    const res = await send("/api/games?platform=ios&limit=5");
    expect(res.headers.get("X-Cache")).toBe("MISS");
  });

  it("two reads at once of an entry held only in memory write it to KV once", async () => {
    const path = "/api/games?platform=ios&limit=4";
    const key = "read:GET /api/games?limit=4&platform=ios ";
    for (let i = 0; i < 2; i++) expect((await send(path)).headers.get("X-Cache")).toBe("MISS");
    const attempts = () => cacheWriteRate.writesTo(key).length + cacheWriteRate.refused.filter((r) => r.key === key).length;
    const before = attempts();
    const reads = await Promise.all([send(path), send(path), send(path)]);
    expect(reads.map((r) => r.headers.get("X-Cache"))).toEqual(["HIT", "HIT", "HIT"]);
    expect(attempts() - before).toBe(1);
  });

  it("an entry written to KV after a while in memory answers no longer than 300 s from when it was computed either", async () => {
    await warm("/api/games?platform=android&limit=5");
    const key = "read:GET /api/games?limit=5&platform=android ";
    // The third read (a HIT from memory) wrote it to KV, with what was left of its 300 s.
    await send("/api/games?platform=android&limit=5");
    const stored = await env.CACHE.get<{ storedAt: number }>(key, "json");
    expect(stored?.storedAt).toBeTypeOf("number");
    await env.CACHE.put(key, JSON.stringify({ ...stored, storedAt: stored!.storedAt - 300_001 }));
    const elsewhere = await send("/api/games?platform=android&limit=5", { env: { ...env } });
    expect(elsewhere.headers.get("X-Cache")).toBe("MISS");
  });
});

describe("a cached page serves every host name correctly", () => {
  it("the Link of a page cached for one host does not send another host's caller there", async () => {
    const path = "/api/games?limit=3&platform=android";
    const { miss: first } = await warm(path, { origin: "https://game-db.example.com" });
    const other = await send(path, { origin: "https://game-db-staging.example.net" });
    expect(other.headers.get("X-Cache")).toBe("HIT");
    for (const res of [first, other]) {
      const link = res.headers.get("Link")!;
      // Relative (RFC 8288 resolves it against the request URL): right for either host.
      expect(link).toMatch(/^<\/api\/games\?[^>]+>; rel="next"$/);
      expect(link).not.toContain("example");
    }
    expect(other.headers.get("Link")).toBe(first.headers.get("Link"));
  });
});

describe("refused requests never become entries", () => {
  it("?junk=<random>, repeated, answers 400 and writes no KV entry", async () => {
    await warm("/api/games?limit=13");
    const before = await readEntryCount();
    for (const path of ["/api/games", "/api/games?limit=13", "/api/games/search?name=cache", `/api/games/${ids[8]}`]) {
      for (let i = 0; i < 5; i++) {
        const junk = crypto.randomUUID();
        const res = await send(`${path}${path.includes("?") ? "&" : "?"}junk=${junk}`);
        expect(res.status, res.text).toBe(400);
        expect(json(res).errors).toEqual([expect.objectContaining({ location: "query", path: "junk", code: "unrecognized_key" })]);
        expect(res.headers.get("X-Cache")).not.toBe("HIT");
      }
    }
    expect(await readEntryCount()).toBe(before);
    // The valid read is still served from its entry.
    expect((await send("/api/games?limit=13")).headers.get("X-Cache")).toBe("HIT");
  });

  it.each(["limit=013", "limit=13&limit=13", "limit=13.0", "limit=1.3e1"])("another spelling of a valid query (%s) is refused, not cached", async (query) => {
    const before = await readEntryCount();
    const res = await send(`/api/games?${query}`);
    expect(res.status, res.text).toBe(400);
    expect(await readEntryCount()).toBe(before);
  });
});

describe("only 200s are cached", () => {
  it.each([
    ["a 404", "/api/games/987654321", 404],
    ["a 400 (bad id)", "/api/games/abc", 400],
    ["a 400 (bad limit)", "/api/games?limit=0", 400],
    ["a 400 (bad search body)", "/api/games/search", 400, { nope: 1 }],
  ])("%s is never stored nor served from the cache", async (_what, path, status, body?: unknown) => {
    const before = await readEntryCount();
    for (let i = 0; i < 2; i++) {
      const res = await send(path as string, body === undefined ? {} : { body });
      expect(res.status).toBe(status);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
      expect(res.headers.get("X-Cache")).not.toBe("HIT");
    }
    expect(await readEntryCount()).toBe(before);
  });

  it("a key without games:read is refused even when the response is cached", async () => {
    const path = "/api/games?limit=11";
    await warm(path);
    const { key } = await createKey(["games:write"], "writer-only");
    const res = await send(path, { key });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('"storeId"');
  });
});

describe("when KV fails, reads and writes still work", () => {
  afterEach(async () => {
    cacheFaults.clear();
    vi.restoreAllMocks();
    // A bump refused during the test is retried (after up to 8 s): let it land before the next test.
    await waitFor(async () => isolateDeps(env).dataVersion.pending(), (p) => p === undefined, { timeoutMs: 18_000, what: "pending bumps to land" });
  }, 20_000);

  const READS: [string, string, { body?: unknown }][] = [
    ["list", "/api/games?limit=5", {}],
    ["get", "", {}], // filled with a seeded id below
    ["search (GET)", "/api/games/search?name=cache&limit=4", {}],
    ["search (POST)", "/api/games/search?limit=4", { body: { name: "Cache Game 1" } }],
  ];
  const reads = () => READS.map(([what, path, options]) => [what, path || `/api/games/${ids[8]}`, options] as const);

  it.each([0, 1, 2, 3])("a read whose KV lookup throws is answered from D1: 200, X-Cache BYPASS, the same body and ETag, 304 on If-None-Match (%#)", async (i) => {
    const [, path, options] = reads()[i]!;
    const healthy = await send(path, options);
    expect(healthy.status).toBe(200);

    cacheFaults.fail("read");
    const warn = vi.spyOn(console, "warn");
    const bypassed = await send(path, options);
    expect(bypassed.status, bypassed.text).toBe(200);
    expect(bypassed.headers.get("X-Cache")).toBe("BYPASS");
    expect(bypassed.text).toBe(healthy.text);
    expect(bypassed.headers.get("ETag")).toBe(healthy.headers.get("ETag"));
    expect(bypassed.headers.get("Content-Type")).toMatch(/^application\/json/);
    if (healthy.headers.get("X-Total-Count")) expect(bypassed.headers.get("X-Total-Count")).toBe(healthy.headers.get("X-Total-Count"));
    expect(warn.mock.calls.map((args) => JSON.parse(String(args[0])))).toContainEqual(
      expect.objectContaining({ level: "warn", msg: "read cache unavailable; answering uncached", requestId: bypassed.headers.get("X-Request-Id") }),
    );

    const notModified = await send(path, { ...options, headers: { "If-None-Match": healthy.headers.get("ETag")! } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("X-Cache")).toBe("BYPASS");
    expect(cacheFaults.injected.length).toBeGreaterThanOrEqual(2);
  });

  it("the access log counts a bypass as cache BYPASS", async () => {
    cacheFaults.fail("read");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const res = await send("/api/games?limit=3", { env: { ...env, LOG_LEVEL: "info" } as Env });
    expect(res.status).toBe(200);
    const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(lines).toContainEqual(expect.objectContaining({ msg: "request", requestId: res.headers.get("X-Request-Id"), status: 200, cache: "BYPASS" }));
  });

  it("a not-found or invalid read is still the route's answer, not a 500", async () => {
    cacheFaults.fail("read");
    expect((await send("/api/games/987654321")).status).toBe(404);
    expect((await send("/api/games?limit=0")).status).toBe(400);
  });

  it("POST, PUT, PATCH and DELETE succeed and reach D1 while every KV read and write fails; reads show them", async () => {
    cacheFaults.fail("read");
    cacheFaults.fail("write");
    // Not `send`: it would wait for the deferred data-version write, which retries while KV fails.
    const created = await callJson<{ id: number }>("/api/games", 201, { body: sampleGame({ storeId: "660000001", name: "Outage Made" }) });
    const id = created.body.id;
    await callJson(`/api/games/${id}`, 200, { method: "PUT", body: { name: "Outage Put", platform: "ios", storeId: "660000001" } });
    await callJson(`/api/games/${id}`, 200, { method: "PATCH", body: { appVersion: "9.9.9" } });
    const row = await env.DB.prepare("SELECT name, app_version FROM games WHERE id = ?").bind(id).first();
    expect(row).toEqual({ name: "Outage Put", app_version: "9.9.9" });
    const read = await callJson<{ name: string; appVersion: string }>(`/api/games/${id}`, 200);
    expect(read.res.headers.get("X-Cache")).toBe("BYPASS");
    expect(read.body).toMatchObject({ name: "Outage Put", appVersion: "9.9.9" });

    await callJson(`/api/games/${id}`, 200, { method: "DELETE" });
    expect(await env.DB.prepare("SELECT id FROM games WHERE id = ?").bind(id).first()).toBeNull();
    // The bump was tried (after the coalescing window) and failed, without failing any request.
    await waitFor(async () => cacheFaults.injected.some((f) => f.kind === "write" && f.key === DATA_VERSION_KEY), Boolean, { what: "a failed bump" });
  });

  it("when only KV writes fail, the writer's next read is still fresh (its bump is pending in the isolate)", async () => {
    // A list no earlier test read: its entry was not stored within the last second (KV's write rate).
    const path = "/api/games?limit=999";
    const { hit } = await warm(path);
    cacheFaults.fail("write");
    const created = await callJson<{ id: number }>("/api/games", 201, { body: sampleGame({ storeId: "660000002", name: "Unbumped" }) });
    expect(isolateDeps(env).dataVersion.pending()).toBeDefined();
    const after = await callJson<{ id: number }[]>(path, 200);
    expect(after.res.headers.get("X-Cache")).toBe("MISS");
    expect(after.body.map((g) => g.id)).toEqual([...json<{ id: number }[]>(hit).map((g) => g.id), created.body.id]);
    cacheFaults.clear();
    // Once KV takes writes again, the retried bump lands.
    await waitFor(async () => isolateDeps(env).dataVersion.pending(), (p) => p === undefined, { timeoutMs: 10_000, what: "the retried bump" });
    await callJson(`/api/games/${created.body.id}`, 200, { method: "DELETE" });
  });
});

describe("what a miss costs", () => {
  it("a read asked for once keeps nothing; the second miss keeps it in the isolate; the third read is a HIT that shares it in KV", async () => {
    const path = `/api/games?limit=2&offset=${ids.length - 3}`;
    const key = `read:GET /api/games?limit=2&offset=${ids.length - 3} `;
    const memory = isolateDeps(env).readCacheMemory;
    const before = await readEntryCount();
    const once = await send(path);
    expect(once.headers.get("X-Cache")).toBe("MISS");
    expect(memory.get(key)).toBeUndefined();
    expect(await readEntryCount()).toBe(before);
    const twice = await send(path);
    expect(twice.headers.get("X-Cache")).toBe("MISS");
    expect(memory.get(key)?.inKv).toBe(false);
    expect(await readEntryCount()).toBe(before);
    const thrice = await send(path);
    expect(thrice.headers.get("X-Cache")).toBe("HIT");
    expect(thrice.text).toBe(once.text);
    expect(await readEntryCount()).toBe(before + 1);
    expect(memory.get(key)?.inKv).toBe(true);
    // Shared: another isolate (fresh services) gets the HIT from KV on its first read.
    const elsewhere = await send(path, { env: { ...env } });
    expect(elsewhere.headers.get("X-Cache")).toBe("HIT");
    expect(elsewhere.text).toBe(once.text);
    // Later HITs write nothing more.
    await send(path);
    expect(await readEntryCount()).toBe(before + 1);
  });

  it("X-Total-Count is counted once per filter and data version: the next pages of a walk run no count", async () => {
    const statements: string[] = [];
    const recording = <Q extends { prepare(query: string): D1PreparedStatement }>(real: Q) =>
      Object.assign(Object.create(null), {
        prepare: (query: string) => (statements.push(query), real.prepare(query)),
        batch: (s: D1PreparedStatement[]) => (real as unknown as D1Database).batch(s),
      });
    const db = {
      ...recording(env.DB),
      exec: (q: string) => env.DB.exec(q),
      withSession: (start?: string) => {
        const session = env.DB.withSession(start);
        return { ...recording(session), getBookmark: () => session.getBookmark() };
      },
    } as unknown as D1Database;
    const worker = { ...env, DB: db };
    const counts = () => statements.filter((s) => /\bcount\(/i.test(s)).length;

    let path: string | null = "/api/games?limit=4&platform=ios";
    const totals: string[] = [];
    for (let page = 0; path; page++) {
      const res = await send(path, { env: worker });
      expect(res.status).toBe(200);
      expect(res.headers.get("X-Cache")).toBe("MISS");
      totals.push(res.headers.get("X-Total-Count")!);
      expect(counts(), `after page ${page + 1}`).toBe(1);
      path = res.headers.get("Link")?.match(/^<([^>]+)>/)?.[1] ?? null;
    }
    expect(totals.length).toBeGreaterThan(1);
    expect(new Set(totals).size).toBe(1);
    expect(Number(totals[0])).toBe(json<unknown[]>(await send("/api/games?limit=1000&platform=ios")).length);

    // A write changes the data version: the next page counts again, and sees the new game.
    const created = await send("/api/games", { body: sampleGame({ storeId: "880000009" }), env: worker });
    expect(created.status).toBe(201);
    const after = await send("/api/games?limit=4&platform=ios", { env: worker });
    expect(counts()).toBe(2);
    expect(after.headers.get("X-Total-Count")).toBe(String(Number(totals[0]) + 1));
    await send(`/api/games/${json(created).id}`, { method: "DELETE" });
  });
});
