import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../../src/core/digest";
import { generateApiKey } from "../../../../src/core/domain/key-format";
import { SCOPES } from "../../../../src/core/domain/scopes";
import { createApp } from "../../../../src/core/http/app";
import type { RateLimiter } from "../../../../src/core/ports";
import { call, callDrained, callJson, createKey } from "../../../helpers/api";
import { countRows, insertKey } from "../../../helpers/checks";
import { appWithFaultyKv } from "../../../helpers/faulty-app";
import { type CallOptions, randomIp, sampleGame } from "../../../support/client";
import { expectProblem } from "../../../support/problem";

/**
 * Every /api route, the scope it needs, and a request that a caller holding that scope gets a
 * definite answer to (ids that do not exist, so nothing but the POSTs changes data). The first
 * test checks this table against the routes the app really registers, so a new route cannot
 * escape the matrix.
 */
interface RouteCase {
  method: string;
  /** As registered in the router (`:id`). */
  route: string;
  scope: (typeof SCOPES)[number];
  path: string;
  body?: () => unknown;
  /** The status a caller with the scope gets; `null`: anything but 401/403 (depends on S3). */
  allowed: number | null;
}

let storeIds = 9_000_000;
const ROUTES: RouteCase[] = [
  { method: "GET", route: "/api/games", scope: "games:read", path: "/api/games", allowed: 200 },
  { method: "GET", route: "/api/games/:id", scope: "games:read", path: "/api/games/999999", allowed: 404 },
  { method: "GET", route: "/api/games/search", scope: "games:read", path: "/api/games/search?name=zzz", allowed: 200 },
  { method: "POST", route: "/api/games/search", scope: "games:read", path: "/api/games/search", body: () => ({ name: "zzz" }), allowed: 200 },
  { method: "POST", route: "/api/games", scope: "games:write", path: "/api/games", body: () => sampleGame({ storeId: String(storeIds++) }), allowed: 201 },
  { method: "PUT", route: "/api/games/:id", scope: "games:write", path: "/api/games/999999", body: () => sampleGame(), allowed: 404 },
  { method: "PATCH", route: "/api/games/:id", scope: "games:write", path: "/api/games/999999", body: () => ({ name: "Renamed" }), allowed: 404 },
  { method: "DELETE", route: "/api/games/:id", scope: "games:write", path: "/api/games/999999", allowed: 404 },
  { method: "POST", route: "/api/keys", scope: "admin", path: "/api/keys", body: () => ({ name: "matrix", scopes: ["games:read"] }), allowed: 201 },
  { method: "GET", route: "/api/keys", scope: "admin", path: "/api/keys", allowed: 200 },
  { method: "GET", route: "/api/keys/:id", scope: "admin", path: "/api/keys/999999", allowed: 404 },
  { method: "DELETE", route: "/api/keys/:id", scope: "admin", path: "/api/keys/999999", allowed: 404 },
  { method: "GET", route: "/api/stats", scope: "games:read", path: "/api/stats", allowed: 200 },
  { method: "POST", route: "/api/games/populate", scope: "ingest:run", path: "/api/games/populate", allowed: null },
  { method: "GET", route: "/api/ingest/runs", scope: "ingest:read", path: "/api/ingest/runs", allowed: 200 },
  { method: "GET", route: "/api/ingest/runs/:id", scope: "ingest:read", path: "/api/ingest/runs/999999", allowed: 404 },
  { method: "GET", route: "/api/ingest/files", scope: "ingest:read", path: "/api/ingest/files", allowed: 200 },
  { method: "POST", route: "/api/ingest/files/:id/retry", scope: "ingest:run", path: "/api/ingest/files/999999/retry", allowed: 404 },
  // The s3:TestEvent: acknowledged, records nothing.
  { method: "POST", route: "/api/ingest/events", scope: "ingest:run", path: "/api/ingest/events", body: () => ({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "any-bucket" }), allowed: 202 },
];

/** The /api routes authenticated otherwise than by an API key: an SNS message carries its own signature. */
const NO_API_KEY = ["POST /api/ingest/sns"];

const registered = new Set(
  createApp()
    .routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/api/"))
    .map((r) => `${r.method} ${r.path}`),
);
/** The table's routes that this build serves (the ingestion routes arrive with their own change). */
const SERVED = ROUTES.filter((r) => registered.has(`${r.method} ${r.route}`));

const label = (r: RouteCase) => `${r.method} ${r.route}`;

function send(r: RouteCase, options: CallOptions): Promise<Response> {
  return call(r.path, { method: r.method, ...(r.body ? { body: r.body() } : {}), ...options });
}

async function expectAllowed(r: RouteCase, res: Response) {
  const text = await res.text();
  if (r.allowed === null) expect([401, 403], text).not.toContain(res.status);
  else expect(res.status, text).toBe(r.allowed);
}

async function expectUnauthorized(res: Response, detail: RegExp) {
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="game-db"$/);
  const problem = await expectProblem(res, 401, "unauthorized");
  expect(problem.detail).toMatch(detail);
  return problem;
}

const keys = {} as {
  /** For each route's scope: a key holding only that scope. */
  scoped: Record<string, string>;
  /** For each route's scope: a key holding every other non-admin scope. */
  lacking: Record<string, string>;
  adminOnly: string;
  revoked: string;
  unknown: string;
};

beforeAll(async () => {
  const nonAdmin = SCOPES.filter((s) => s !== "admin");
  keys.scoped = {};
  keys.lacking = {};
  for (const scope of new Set(SERVED.map((r) => r.scope))) {
    keys.scoped[scope] = (await createKey([scope], `only-${scope}`)).key;
    keys.lacking[scope] = (await createKey(nonAdmin.filter((s) => s !== scope), `all-but-${scope}`)).key;
  }
  keys.adminOnly = (await createKey(["admin"], "stored-admin")).key;
  const revoked = await createKey([...nonAdmin, "admin"], "revoked");
  await callJson(`/api/keys/${revoked.id}`, 200, { method: "DELETE" });
  keys.revoked = revoked.key;
  keys.unknown = generateApiKey();
});

describe("the auth matrix", () => {
  it("covers every /api route the app registers", () => {
    expect(registered.size).toBeGreaterThanOrEqual(12);
    const covered = new Set([...ROUTES.map(label), ...NO_API_KEY]);
    expect([...registered].filter((route) => !covered.has(route))).toEqual([]);
  });

  describe.each(SERVED)("$method $route", (r) => {
    it("without a key → 401 problem with WWW-Authenticate", async () => {
      await expectUnauthorized(await send(r, { key: null, ip: randomIp() }), /Send an API key/);
    });

    it("with a malformed key → 401", async () => {
      await expectUnauthorized(await send(r, { key: "gdb_not-a-real-key", ip: randomIp() }), /not a valid Game DB key/);
      const almost = generateApiKey();
      const typo = almost.slice(0, -1) + (almost.endsWith("a") ? "b" : "a");
      await expectUnauthorized(await send(r, { key: typo, ip: randomIp() }), /not a valid Game DB key/);
    });

    it("with a well-formed but unknown key → 401", async () => {
      await expectUnauthorized(await send(r, { key: keys.unknown, ip: randomIp() }), /not recognised/);
    });

    it("with a revoked key → 401 with the unknown key's detail (nothing says the key once existed)", async () => {
      const revoked = await expectUnauthorized(await send(r, { key: keys.revoked, ip: randomIp() }), /not recognised/);
      const unknown = await expectUnauthorized(await send(r, { key: keys.unknown, ip: randomIp() }), /not recognised/);
      expect(revoked.detail).toBe(unknown.detail);
      expect(revoked.title).toBe(unknown.title);
    });

    it("with a key in another scheme (Basic) → 401 as if no key was sent", async () => {
      const basic = btoa(`user:${env.ADMIN_API_KEY}`);
      const res = await send(r, { key: null, headers: { Authorization: `Basic ${basic}` }, ip: randomIp() });
      await expectUnauthorized(res, /Send an API key/);
    });

    it(`with a key lacking "${r.scope}" → 403`, async () => {
      const res = await send(r, { key: keys.lacking[r.scope]! });
      const problem = await expectProblem(res, 403, "forbidden");
      expect(problem.detail).toContain(r.scope);
      // Structured too, so clients need not parse the sentence.
      expect(problem.requiredScope).toBe(r.scope);
      expect([...(problem.grantedScopes ?? [])].sort()).toEqual(SCOPES.filter((s) => s !== "admin" && s !== r.scope).sort());
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
    });

    it(`with a key holding "${r.scope}" (Bearer) → ${r.allowed ?? "not 401/403"}`, async () => {
      const res = await send(r, { key: keys.scoped[r.scope]! });
      await expectAllowed(r, res);
    });

    it(`with a key holding "${r.scope}" (X-API-Key) → ${r.allowed ?? "not 401/403"}`, async () => {
      const res = await send(r, { key: null, headers: { "X-API-Key": keys.scoped[r.scope]! } });
      await expectAllowed(r, res);
    });

    it(`with a stored key holding only "admin" → ${r.allowed ?? "not 401/403"}`, async () => {
      const res = await send(r, { key: keys.adminOnly });
      await expectAllowed(r, res);
    });

    it(`with the bootstrap ADMIN_API_KEY → ${r.allowed ?? "not 401/403"}`, async () => {
      const res = await send(r, { key: env.ADMIN_API_KEY });
      await expectAllowed(r, res);
    });
  });
});

describe("presenting the key", () => {
  it("accepts the Bearer scheme case-insensitively", async () => {
    const res = await call("/api/games", { key: null, headers: { Authorization: `bearer ${keys.scoped["games:read"]}` } });
    expect(res.status).toBe(200);
  });

  it("prefers Authorization: Bearer over X-API-Key", async () => {
    const res = await call("/api/games", {
      key: keys.unknown,
      headers: { "X-API-Key": keys.scoped["games:read"]! },
      ip: randomIp(),
    });
    await expectUnauthorized(res, /not recognised/);
  });

  it("uses X-API-Key when Authorization carries another scheme", async () => {
    const res = await call("/api/games", {
      key: null,
      headers: { Authorization: "Basic dXNlcjpwYXNz", "X-API-Key": keys.scoped["games:read"]! },
    });
    expect(res.status).toBe(200);
  });

  it("treats an empty key as no key", async () => {
    await expectUnauthorized(await call("/api/games", { key: null, headers: { "X-API-Key": "" }, ip: randomIp() }), /Send an API key/);
    await expectUnauthorized(await call("/api/games", { key: null, headers: { Authorization: "Bearer " }, ip: randomIp() }), /Send an API key/);
  });

  it("does not accept a near miss of the bootstrap key", async () => {
    const near = env.ADMIN_API_KEY.slice(0, -1) + (env.ADMIN_API_KEY.endsWith("x") ? "y" : "x");
    await expectUnauthorized(await call("/api/keys", { key: near, ip: randomIp() }), /not a valid Game DB key/);
  });
});

describe("public routes", () => {
  it.each(["/health", "/openapi.json", "/docs"])("%s needs no key", async (path) => {
    const res = await call(path, { key: null, ip: randomIp() });
    expect(res.status).toBe(200);
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
  });

  it.each(["/health", "/openapi.json", "/docs"])("%s ignores an invalid key", async (path) => {
    const res = await call(path, { key: "garbage", ip: randomIp() });
    expect(res.status).toBe(200);
  });
  it.each([null, "garbage", env.ADMIN_API_KEY])("POST /api/ingest/sns takes no API key: with key %s the SNS message decides the answer", async (key) => {
    // Not an SNS message: the same 400 whatever the key, never a 401.
    const res = await call("/api/ingest/sns", { method: "POST", key, ip: randomIp(), rawBody: "{}", contentType: "text/plain; charset=UTF-8" });
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
    await expectProblem(res, 400, "validation");
  });
});

describe("revocation", () => {
  it("stops a key at once in the same isolate, even after its verdict was cached in memory and KV", async () => {
    const { id, key } = await createKey(["games:read"], "soon-revoked");
    const hash = await sha256Hex(key);
    // callDrained waits for ctx.waitUntil, which is where the verdict is written to KV.
    for (let i = 0; i < 3; i++) expect((await callDrained("/api/games", { key })).status).toBe(200);
    expect(await env.CACHE.get(`auth:${hash}`)).not.toBeNull();

    await callJson(`/api/keys/${id}`, 200, { method: "DELETE" });

    await expectUnauthorized(await call("/api/games", { key, ip: randomIp() }), /not recognised/);
    // KV holds a tombstone, so other isolates stop trusting the key without asking D1.
    expect(await env.CACHE.get(`auth-revoked:${hash}`, "json")).toMatchObject({ keyId: id });
    // And it stays refused (the "revoked" verdict is what gets cached now).
    await expectUnauthorized(await call("/api/games", { key, ip: randomIp() }), /not recognised/);
  });

  it("leaves the caller's other keys working", async () => {
    const a = await createKey(["games:read"], "a");
    const b = await createKey(["games:read"], "b");
    expect((await call("/api/games", { key: a.key })).status).toBe(200);
    expect((await call("/api/games", { key: b.key })).status).toBe(200);
    await callJson(`/api/keys/${a.id}`, 200, { method: "DELETE" });
    expect((await call("/api/games", { key: a.key, ip: randomIp() })).status).toBe(401);
    expect((await call("/api/games", { key: b.key })).status).toBe(200);
  });
});

describe("rejected callers", () => {
  it("write nothing", async () => {
    const games = await countRows("games");
    const apiKeys = await countRows("api_keys");
    const writes = SERVED.filter((r) => r.method !== "GET");
    for (const r of writes) {
      expect((await send(r, { key: null, ip: randomIp() })).status).toBe(401);
      expect((await send(r, { key: keys.revoked, ip: randomIp() })).status).toBe(401);
      expect((await send(r, { key: keys.lacking[r.scope]! })).status).toBe(403);
    }
    expect(await countRows("games")).toBe(games);
    expect(await countRows("api_keys")).toBe(apiKeys);
  });
});

describe("KV trouble", () => {
  it("a KV that throws on every read and write: keyed requests are answered from D1, with a warn line per fallback", async () => {
    const { key, id } = await insertKey(["admin"], "kv-outage");
    const { fetch, faults, lines } = appWithFaultyKv();
    faults.fail("read");
    faults.fail("write");
    const res = await fetch(`/api/keys/${id}`, key);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { id: number }).id).toBe(id);
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "auth: KV read failed; verifying the key in D1", kvReadFailures: 1 }));
    // A revoked key is still refused, from D1 alone.
    const revoked = await insertKey(["admin"], "kv-outage-revoked");
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(new Date().toISOString(), revoked.id).run();
    await expectProblem(await fetch("/api/keys", revoked.key), 401, "unauthorized");
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "revoked API key used", keyId: revoked.id }));
  });

  it("the per-IP limit still guards the D1 lookups KV cannot spare", async () => {
    let counted = 0;
    const refusing: RateLimiter = { limit: async () => (counted++, { allowed: false, remaining: 0, resetSeconds: 60 }) };
    const { key } = await insertKey(["admin"], "kv-outage-limited");
    const { fetch, faults } = appWithFaultyKv({ anonymous: refusing });
    faults.fail("read");
    const problem = await expectProblem(await fetch("/api/keys", key), 429, "rate-limited");
    expect(problem.detail).toMatch(/Rate limit/);
    expect(counted).toBe(1);
  });
});
