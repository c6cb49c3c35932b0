import { beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/core/domain/key-format";
import { type ContractTarget } from "./target";
import { jsonOfSize, streamed } from "../helpers/bodies";
import { apiClient, randomIp, sampleGame } from "../support/client";
import { expectProblem } from "../support/problem";
import { UUID } from "../support/patterns";
import { waitFor } from "../support/wait";

const LIMIT = 64 * 1024;

/** `"per-key";r=3;t=42` (draft-ietf-httpapi-ratelimit-headers, structured field). */
function quota(res: Response) {
  const header = res.headers.get("RateLimit");
  const match = header?.match(/^"([a-z-]+)";r=(\d+);t=(\d+)$/);
  if (!match) throw new Error(`RateLimit header not in the draft form: ${header}`);
  return { policy: match[1]!, remaining: Number(match[2]), reset: Number(match[3]) };
}
function policy(res: Response) {
  const match = res.headers.get("RateLimit-Policy")?.match(/^"([a-z-]+)";q=(\d+);w=(\d+)$/);
  if (!match) throw new Error(`RateLimit-Policy not in the draft form: ${res.headers.get("RateLimit-Policy")}`);
  return { policy: match[1]!, limit: Number(match[2]), window: Number(match[3]) };
}

/** Problem responses for every error class, the auth matrix basics, rate-limit headers and the read cache. */
export function errorsContract(target: ContractTarget) {
  const { call, callJson, createKey, createGame } = apiClient(target);

  describe(`[${target.runtime}] errors are problem+json`, () => {
    it("malformed JSON → 400 malformed-json", async () => {
      for (const [path, method] of [["/api/games", "POST"], ["/api/keys", "POST"], ["/api/games/1", "PUT"], ["/api/games/search", "POST"]] as const) {
        const problem = await expectProblem(await call(path, { method, rawBody: '{"name": "x",', contentType: "application/json" }), 400, "malformed-json");
        expect(problem.instance).toBe(path);
        expect(problem.detail).toMatch(/not valid JSON/);
      }
    });

    it.each([
      ["text/plain", "text/plain;charset=UTF-8"],
      ["a form", "application/x-www-form-urlencoded"],
      ["multipart", "multipart/form-data; boundary=x"],
      ["XML", "application/xml"],
      ["a JSON look-alike", "application/jsonp"],
    ])("a body sent as %s → 415", async (_, contentType) => {
      const problem = await expectProblem(await call("/api/games", { rawBody: JSON.stringify(sampleGame()), contentType }), 415, "unsupported-media-type");
      expect(problem.detail).toContain("application/json");
    });

    it("accepts JSON media types with parameters and +json suffixes", async () => {
      for (const contentType of ["application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json"]) {
        const res = await call("/api/games/search", { method: "POST", rawBody: "{}", contentType });
        expect(res.status, contentType).toBe(200);
      }
    });

    it("a POST without any body is not a 415: it is read as no body", async () => {
      const res = await call("/api/games/search", { method: "POST" });
      expect(res.status, await res.clone().text()).toBe(200);
      await expectProblem(await call("/api/games", { method: "POST" }), 400, "validation");
    });

    it("a body over 64 KiB → 413, with Content-Length or streamed without it", async () => {
      const sized = await expectProblem(await call("/api/games", { rawBody: jsonOfSize(LIMIT + 1), contentType: "application/json" }), 413, "payload-too-large");
      expect(sized.detail).toContain(String(LIMIT));
      await expectProblem(await call("/api/games", { rawBody: streamed(jsonOfSize(LIMIT * 4)), contentType: "application/json" }), 413, "payload-too-large");
      // Exactly the limit is read, streamed or not (and then refused by validation, not by size).
      expect(jsonOfSize(LIMIT)).toHaveLength(LIMIT);
      await expectProblem(await call("/api/games/search", { rawBody: jsonOfSize(LIMIT), contentType: "application/json" }), 400, "validation");
      await expectProblem(await call("/api/games/search", { rawBody: streamed(jsonOfSize(LIMIT)), contentType: "application/json" }), 400, "validation");
    });

    it("unknown routes → 404 (401 under /api without a key, revealing nothing about which routes exist)", async () => {
      for (const path of ["/api/nope", "/api/games/1/extra", "/api/keys/1/rotate"]) expect((await expectProblem(await call(path), 404, "not-found")).instance).toBe(path);
      await expectProblem(await call("/no-such-page", { key: null }), 404, "not-found");
      await expectProblem(await call("/api/nope", { key: null, ip: randomIp() }), 401, "unauthorized");
    });

    it("a trailing slash is a 404, never a 405 that allows the method used", async () => {
      for (const path of ["/api/games/", "/api/keys/", "/api/games/1/"]) {
        const res = await call(path);
        expect(res.headers.get("Allow")).toBeNull();
        await expectProblem(res, 404, "not-found");
      }
    });

    it.each([
      ["PATCH", "/api/games", "GET, HEAD, POST"],
      ["DELETE", "/api/games", "GET, HEAD, POST"],
      ["DELETE", "/api/keys", "GET, HEAD, POST"],
      ["PUT", "/api/keys/1", "DELETE, GET, HEAD"],
      ["POST", "/api/games/1", "DELETE, GET, HEAD, PATCH, PUT"],
      ["POST", "/health", "GET, HEAD"],
    ])("%s %s → 405 with Allow: %s", async (method, path, allow) => {
      const res = await call(path, { method });
      expect(res.headers.get("Allow")).toBe(allow);
      const problem = await expectProblem(res, 405, "method-not-allowed");
      expect(problem.detail).toContain(method);
    });

    it("HEAD on a GET route answers without a body", async () => {
      const res = await call("/api/games", { method: "HEAD" });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("");
    });

    it("every response carries its own X-Request-Id, which the problem names", async () => {
      const reader = (await createKey(["games:read"], "rid")).key;
      const responses = [
        await call("/api/games"),
        await call("/health", { key: null }),
        await call("/api/keys", { body: {} }),
        await call("/api/games", { key: null, ip: randomIp() }),
        await call("/api/keys", { key: reader }),
        await call("/api/nope"),
        await call("/api/games", { method: "PATCH" }),
        await call("/api/games", { rawBody: "x", contentType: "text/plain" }),
      ];
      const ids = new Set<string>();
      for (const res of responses) {
        const id = res.headers.get("X-Request-Id");
        expect(id).toMatch(UUID);
        ids.add(id!);
        if (res.status >= 400) expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
      }
      expect(ids.size).toBe(responses.length);
    });
  });

  describe(`[${target.runtime}] authentication and scopes`, () => {
    const keys = {} as { reader: string; writer: string; ingestReader: string; admin: string; revoked: string };

    beforeAll(async () => {
      keys.reader = (await createKey(["games:read"], "m-reader")).key;
      keys.writer = (await createKey(["games:write"], "m-writer")).key;
      keys.ingestReader = (await createKey(["ingest:read"], "m-ingest")).key;
      keys.admin = (await createKey(["admin"], "m-admin")).key;
      const revoked = await createKey(["admin"], "m-revoked");
      await callJson(`/api/keys/${revoked.id}`, 200, { method: "DELETE" });
      keys.revoked = revoked.key;
    });

    const ROUTES: { method: string; path: string; scope: keyof typeof keys; allowed: number; body?: () => unknown }[] = [
      { method: "GET", path: "/api/games", scope: "reader", allowed: 200 },
      { method: "GET", path: "/api/games/987654321", scope: "reader", allowed: 404 },
      { method: "POST", path: "/api/games", scope: "writer", allowed: 201, body: () => sampleGame() },
      { method: "DELETE", path: "/api/games/987654321", scope: "writer", allowed: 404 },
      { method: "GET", path: "/api/ingest/runs", scope: "ingestReader", allowed: 200 },
      { method: "GET", path: "/api/keys", scope: "admin", allowed: 200 },
    ];

    async function expectUnauthorized(res: Response, detail: RegExp) {
      expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="game-db"');
      const problem = await expectProblem(res, 401, "unauthorized");
      expect(problem.detail).toMatch(detail);
      return problem;
    }

    it.each(ROUTES)("$method $path: no, malformed, unknown or revoked key → 401; another scope → 403; its scope → $allowed", async (r) => {
      const send = (key: string | null, headers?: Record<string, string>) =>
        call(r.path, { method: r.method, key, headers, ip: randomIp(), ...(r.body ? { body: r.body() } : {}) });
      await expectUnauthorized(await send(null), /Send an API key/);
      await expectUnauthorized(await send("gdb_not-a-real-key"), /not a valid Game DB key/);
      const unknown = await expectUnauthorized(await send(generateApiKey()), /not recognised/);
      // A revoked key gets the unknown key's answer, word for word: nothing says it once existed.
      const revoked = await expectUnauthorized(await send(keys.revoked), /not recognised/);
      expect({ ...revoked, requestId: "", instance: "" }).toEqual({ ...unknown, requestId: "", instance: "" });
      const other = r.scope === "reader" ? keys.ingestReader : keys.reader;
      const forbidden = await send(other);
      expect(forbidden.headers.get("WWW-Authenticate")).toBeNull();
      await expectProblem(forbidden, 403, "forbidden");
      for (const allowed of [await send(keys[r.scope]), await send(null, { "X-API-Key": keys[r.scope] }), await send(keys.admin), await send(target.adminKey)]) {
        expect(allowed.status, await allowed.text()).toBe(r.allowed);
      }
    });

    it.each(["/health", "/openapi.json", "/docs"])("%s needs no key and ignores an invalid one", async (path) => {
      for (const key of [null, "garbage"]) {
        const res = await call(path, { key });
        expect(res.status).toBe(200);
        expect(res.headers.get("WWW-Authenticate")).toBeNull();
      }
    });
  });

  describe(`[${target.runtime}] rate-limit headers`, () => {
    it("every /api response, success or error, announces the per-key policy and what is left", async () => {
      for (const res of [await call("/api/games"), await call("/api/games/987654321"), await call("/api/keys", { body: {} })]) {
        const p = policy(res);
        expect(p.policy).toBe("per-key");
        expect(p.limit).toBeGreaterThan(0);
        expect([10, 60]).toContain(p.window);
        const q = quota(res);
        expect(q.policy).toBe("per-key");
        expect(q.remaining).toBeLessThan(p.limit);
        expect(q.reset).toBeGreaterThanOrEqual(1);
        expect(q.reset).toBeLessThanOrEqual(p.window);
      }
    });

    it("a fresh key's remaining count goes down by one per request within a window", async () => {
      const { key } = await createKey(["games:read"], "counted");
      const seen: { remaining: number; window: number }[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await call("/api/games?limit=1", { key });
        expect(res.status).toBe(200);
        const p = policy(res);
        seen.push({ remaining: quota(res).remaining, window: Math.floor(Date.now() / 1000 / p.window) });
      }
      // Compare consecutive requests of the same window (a window may roll over mid-test).
      const pairs = seen.slice(1).map((s, i) => [seen[i]!, s] as const).filter(([a, b]) => a.window === b.window);
      expect(pairs.length).toBeGreaterThan(0);
      for (const [a, b] of pairs) expect(b.remaining).toBe(a.remaining - 1);
    });

    it("public routes are limited per client address", async () => {
      const res = await call("/health", { key: null, ip: randomIp() });
      expect(policy(res).policy).toBe("per-ip");
      expect(quota(res).policy).toBe("per-ip");
    });
  });

  describe(`[${target.runtime}] read cache`, () => {
    it("serves repeated reads from the cache, answers If-None-Match with 304, and never serves a read older than the reader's own write", async () => {
      const game = await createGame();
      const path = `/api/games/${game.id}`;
      const first = await call(path);
      expect(first.status).toBe(200);
      const etag = first.headers.get("ETag");
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      // The cache is filled after the response (waitUntil / deferred work): poll for the hit.
      const hit = await waitFor(() => call(path), (res) => res.headers.get("X-Cache") === "HIT", { what: "a cache hit" });
      expect(await hit.json()).toEqual(game);
      const notModified = await call(path, { headers: { "If-None-Match": etag! } });
      expect(notModified.status).toBe(304);

      const patched = await callJson(path, 200, { method: "PATCH", body: { appVersion: "7.7.7" } });
      const after = await call(path);
      expect(after.headers.get("X-Cache")).toBe("MISS");
      expect(await after.json()).toEqual(patched.body);
      expect(after.headers.get("ETag")).not.toBe(etag);
    });

    it("caches whole list pages and searches too", async () => {
      await createGame();
      for (const path of ["/api/games?limit=1000", "/api/games/search?name=e&limit=1000"]) {
        const miss = await call(path);
        expect(miss.headers.get("X-Cache")).toBe("MISS");
        const body = await miss.text();
        const hit = await waitFor(() => call(path), (res) => res.headers.get("X-Cache") === "HIT", { what: `a cache hit for ${path}` });
        expect(await hit.text()).toBe(body);
        expect(hit.headers.get("X-Total-Count")).toBe(miss.headers.get("X-Total-Count"));
      }
    });
  });
}
