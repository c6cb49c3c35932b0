import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../../../src/core/digest";
import { isWellFormedApiKey } from "../../../../src/core/domain/key-format";
import { call, callDrained, callJson, createKey } from "../../../helpers/api";
import { countRows, insertKey } from "../../../helpers/checks";
import { appWithFaultyKv } from "../../../helpers/faulty-app";
import { sampleGame } from "../../../support/client";
import { expectProblem } from "../../../support/problem";
import { waitFor } from "../../../support/wait";

interface ApiKeyView {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface StoredKey {
  id: number;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const storedKey = (id: number) => env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<StoredKey>();

describe("POST /api/keys", () => {
  it("creates a key and returns its secret once, with exactly id, name, prefix, scopes, createdAt and key", async () => {
    const { res, body } = await callJson("/api/keys", 201, { body: { name: "analytics", scopes: ["games:read", "ingest:read"] } });
    expect(Object.keys(body).sort()).toEqual(["createdAt", "id", "key", "name", "prefix", "scopes"]);
    expect(body).toMatchObject({ name: "analytics", scopes: ["games:read", "ingest:read"] });
    expect(body.id).toEqual(expect.any(Number));
    expect(body.createdAt).toMatch(ISO);
    expect(isWellFormedApiKey(body.key)).toBe(true);
    expect(body.prefix).toMatch(/^gdb_[0-9A-Za-z]{8}$/);
    expect(body.key.startsWith(body.prefix)).toBe(true);
    expect(res.headers.get("Location")).toBe(`/api/keys/${body.id}`);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("issues a different secret every time", async () => {
    const a = await createKey(["games:read"], "same-name");
    const b = await createKey(["games:read"], "same-name");
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
  });

  it("trims the name and stores duplicate scopes once", async () => {
    const { body } = await callJson("/api/keys", 201, { body: { name: "  team  ", scopes: ["games:read", "games:read"] } });
    expect(body.name).toBe("team");
    expect(body.scopes).toEqual(["games:read"]);
  });

  it("gives a secret that works for its scopes and no others", async () => {
    const { key } = await createKey(["games:read"], "reader");
    expect((await call("/api/games", { key })).status).toBe(200);
    expect((await call("/api/games/search?name=x", { key })).status).toBe(200);
    await expectProblem(await call("/api/games", { key, body: sampleGame({ storeId: "700001" }) }), 403, "forbidden");
    await expectProblem(await call("/api/keys", { key }), 403, "forbidden");
  });

  it("stores only the SHA-256 hex digest of the secret, never the secret", async () => {
    const { id, key } = await createKey(["games:write"], "hashed");
    const row = await storedKey(id);
    expect(row).not.toBeNull();
    expect(row!.hash).toBe(await sha256Hex(key));
    expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.prefix).toBe(key.slice(0, 12));
    // No column of any stored key holds the secret (the prefix is only its first 12 characters).
    const all = await env.DB.prepare("SELECT * FROM api_keys").all();
    expect(JSON.stringify(all.results)).not.toContain(key);
    expect(JSON.stringify(all.results)).not.toContain(key.slice(12));
  });

  describe("validation", () => {
    const invalid: [string, unknown, string][] = [
      ["an empty name", { name: "", scopes: ["games:read"] }, "name"],
      ["a blank name", { name: "   ", scopes: ["games:read"] }, "name"],
      ["a name over 100 characters", { name: "n".repeat(101), scopes: ["games:read"] }, "name"],
      ["a name that is not a string", { name: 42, scopes: ["games:read"] }, "name"],
      ["a missing name", { scopes: ["games:read"] }, "name"],
      ["an unknown scope", { name: "x", scopes: ["games:read", "games:delete"] }, "scopes.1"],
      ["empty scopes", { name: "x", scopes: [] }, "scopes"],
      ["scopes that are not an array", { name: "x", scopes: "admin" }, "scopes"],
      ["missing scopes", { name: "x" }, "scopes"],
      ["an extra field", { name: "x", scopes: ["games:read"], hash: "0".repeat(64) }, "hash"],
      ["a client-chosen key", { name: "x", scopes: ["games:read"], key: "gdb_chosen" }, "key"],
    ];

    it.each(invalid)("rejects %s with 400 naming the field, and creates nothing", async (_, body, field) => {
      const before = await countRows("api_keys");
      const problem = await expectProblem(await call("/api/keys", { body }), 400, "validation");
      expect(problem.errors?.map((e) => `${e.location}:${e.path}`)).toContain(`body:${field}`);
      expect(await countRows("api_keys")).toBe(before);
    });

    it("rejects a body that is not an object", async () => {
      await expectProblem(await call("/api/keys", { body: [{ name: "x", scopes: ["games:read"] }] }), 400, "validation");
    });
  });
});

describe("GET /api/keys and /api/keys/{id}", () => {
  it("list keys without their secret or hash", async () => {
    const created = await createKey(["ingest:run"], "listed");
    const hash = await sha256Hex(created.key);
    const res = await call("/api/keys");
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(hash);
    const list = JSON.parse(text) as ApiKeyView[];
    const item = list.find((k) => k.id === created.id);
    expect(item).toMatchObject({ id: created.id, name: "listed", scopes: ["ingest:run"], revokedAt: null, lastUsedAt: null });
    for (const k of list) expect(Object.keys(k).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes"]);
  });

  it("show one key without its secret or hash", async () => {
    const created = await createKey(["games:read", "games:write"], "single");
    const res = await call(`/api/keys/${created.id}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(await sha256Hex(created.key));
    const view = JSON.parse(text) as ApiKeyView;
    expect(Object.keys(view).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes"]);
    expect(view).toMatchObject({ id: created.id, name: "single", prefix: created.key.slice(0, 12), scopes: ["games:read", "games:write"] });
  });

  it("answer 404 for an id that does not exist and 400 for one that is not an id", async () => {
    await expectProblem(await call("/api/keys/987654"), 404, "not-found");
    await expectProblem(await call("/api/keys/abc"), 400, "validation");
    await expectProblem(await call("/api/keys/0"), 400, "validation");
  });
});

describe("DELETE /api/keys/{id}", () => {
  it("revokes the key: it is marked revoked and stops working", async () => {
    const { id, key } = await createKey(["games:read"], "to-revoke");
    expect((await call("/api/games", { key })).status).toBe(200);
    const { body } = await callJson<ApiKeyView>(`/api/keys/${id}`, 200, { method: "DELETE" });
    expect(body.id).toBe(id);
    expect(body.revokedAt).toMatch(ISO);
    expect(JSON.stringify(body)).not.toContain(key);
    expect((await storedKey(id))!.revoked_at).toBe(body.revokedAt);
    await expectProblem(await call("/api/games", { key }), 401, "unauthorized");
  });

  it("is idempotent: revoking again returns the same revocation time", async () => {
    const { id } = await createKey(["games:read"], "twice");
    const first = await callJson<ApiKeyView>(`/api/keys/${id}`, 200, { method: "DELETE" });
    const second = await callJson<ApiKeyView>(`/api/keys/${id}`, 200, { method: "DELETE" });
    expect(second.body.revokedAt).toBe(first.body.revokedAt);
    expect((await storedKey(id))!.revoked_at).toBe(first.body.revokedAt);
  });

  it("answers 404 for an unknown id and changes nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL").first<{ n: number }>();
    await expectProblem(await call("/api/keys/987654", { method: "DELETE" }), 404, "not-found");
    const after = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("answers 503 with Retry-After when KV refuses the tombstone, after recording the revocation in D1; repeating it answers 200", async () => {
    const waits: number[] = [];
    const { fetch, faults, lines } = appWithFaultyKv({ authenticator: { sleep: async (ms) => void waits.push(ms) } });
    const { id, key, hash } = await insertKey(["games:read"], "kv-refuses-revocation");
    faults.fail("write", { keys: (k) => k === `auth-revoked:${hash}` });
    const res = await fetch(`/api/keys/${id}`, env.ADMIN_API_KEY, { method: "DELETE" });
    expect(res.headers.get("Retry-After")).toBe("5");
    const problem = await expectProblem(res, 503, "service-unavailable");
    expect(problem.detail).toContain(`API key ${id} is revoked in the database`);
    expect(problem.detail).toContain("Repeat this DELETE");
    expect(waits).toEqual([1_100, 2_200]);
    expect(lines).toContainEqual(expect.objectContaining({ level: "error", msg: "revocation recorded in D1 but not published to KV", keyId: id }));
    const revokedAt = (await storedKey(id))!.revoked_at;
    expect(revokedAt).toMatch(ISO);
    // The isolate that served the DELETE already refuses the key.
    await expectProblem(await fetch("/api/games", key), 401, "unauthorized");

    faults.clear();
    const again = await fetch(`/api/keys/${id}`, env.ADMIN_API_KEY, { method: "DELETE" });
    expect(again.status).toBe(200);
    expect(((await again.json()) as ApiKeyView).revokedAt).toBe(revokedAt);
    expect(await env.CACHE.get(`auth-revoked:${hash}`, "json")).toEqual({ keyId: id, revokedAt });
  });

  it("keeps revoked keys in the list, marked revoked", async () => {
    const { id } = await createKey(["games:read"], "revoked-listed");
    await callJson(`/api/keys/${id}`, 200, { method: "DELETE" });
    const { body } = await callJson<ApiKeyView[]>("/api/keys", 200);
    expect(body.find((k) => k.id === id)?.revokedAt).toMatch(ISO);
  });
});

describe("last_used_at", () => {
  // callDrained waits for the request's ctx.waitUntil work, where the write happens.
  it("is set on first use and not rewritten by later requests", async () => {
    const { id, key } = await createKey(["games:read"], "used");
    expect((await storedKey(id))!.last_used_at).toBeNull();

    expect((await callDrained("/api/games", { key })).status).toBe(200);
    const firstUse = (await storedKey(id))!.last_used_at!;
    expect(firstUse).toMatch(ISO);

    for (let i = 0; i < 5; i++) {
      // Let the clock move past the first use so that any rewrite would change the value.
      await waitFor(async () => new Date().toISOString(), (now) => now > firstUse, { what: "the clock to advance" });
      expect((await callDrained(`/api/games?limit=${i + 1}`, { key })).status).toBe(200);
      expect((await storedKey(id))!.last_used_at).toBe(firstUse);
    }

    const { body } = await callJson<ApiKeyView>(`/api/keys/${id}`, 200);
    expect(body.lastUsedAt).toBe(firstUse);
  });

  it("is set for the key that authenticated, even when the route refuses its scope, and for no other key", async () => {
    const { id, key } = await createKey(["ingest:read"], "refused");
    const other = await createKey(["games:read"], "never-used");
    await expectProblem(await callDrained("/api/games", { key }), 403, "forbidden");
    expect((await storedKey(id))!.last_used_at).toMatch(ISO);
    expect((await storedKey(other.id))!.last_used_at).toBeNull();
  });

  it("is not set for a revoked key", async () => {
    const { id, key } = await createKey(["games:read"], "revoked-unused");
    await callJson(`/api/keys/${id}`, 200, { method: "DELETE" });
    await expectProblem(await callDrained("/api/games", { key }), 401, "unauthorized");
    expect((await storedKey(id))!.last_used_at).toBeNull();
  });
});
