import { describe, expect, it } from "vitest";
import { type ContractTarget } from "./target";
import { apiClient, randomIp, sampleGame } from "../support/client";
import { expectProblem } from "../support/problem";
import { ISO_UTC } from "../support/patterns";

const VIEW_FIELDS = ["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes"];

/** API keys: create (secret once), list and show (never the secret), revoke. */
export function keysContract(target: ContractTarget) {
  const { call, callJson, createKey } = apiClient(target);

  describe(`[${target.runtime}] API keys`, () => {
    it("POST /api/keys creates a key and shows its secret once", async () => {
      const { res, body } = await callJson("/api/keys", 201, { body: { name: "  analytics  ", scopes: ["games:read", "ingest:read", "games:read"] } });
      expect(Object.keys(body).sort()).toEqual(["createdAt", "id", "key", "name", "prefix", "scopes"]);
      expect(body).toMatchObject({ name: "analytics", scopes: ["games:read", "ingest:read"] });
      expect(body.key).toMatch(/^gdb_[0-9A-Za-z]{36}$/);
      expect(body.prefix).toBe(body.key.slice(0, 12));
      expect(body.createdAt).toMatch(ISO_UTC);
      expect(res.headers.get("Location")).toBe(`/api/keys/${body.id}`);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
    });

    it("lists and shows keys without their secret", async () => {
      const created = await createKey(["ingest:run"], "listed");
      const list = await call("/api/keys");
      const text = await list.text();
      expect(list.status).toBe(200);
      expect(text).not.toContain(created.key);
      expect(text).not.toContain(created.key.slice(12));
      const views = JSON.parse(text) as Record<string, unknown>[];
      for (const view of views) expect(Object.keys(view).sort()).toEqual(VIEW_FIELDS);
      expect(views.find((k) => k.id === created.id)).toMatchObject({ name: "listed", prefix: created.prefix, scopes: ["ingest:run"], revokedAt: null });

      const one = await call(`/api/keys/${created.id}`);
      const oneText = await one.text();
      expect(one.status).toBe(200);
      expect(oneText).not.toContain(created.key.slice(12));
      expect(Object.keys(JSON.parse(oneText)).sort()).toEqual(VIEW_FIELDS);
      await expectProblem(await call("/api/keys/987654"), 404, "not-found");
    });

    it("a key works for its scopes and is refused (403) outside them", async () => {
      const { key } = await createKey(["games:read"], "reader");
      expect((await call("/api/games", { key })).status).toBe(200);
      expect((await call("/api/games/search?name=x", { key })).status).toBe(200);
      await expectProblem(await call("/api/games", { key, body: sampleGame() }), 403, "forbidden");
      await expectProblem(await call("/api/keys", { key }), 403, "forbidden");
    });

    it("DELETE revokes: the key stops working at once, stays listed as revoked, and revoking again is idempotent", async () => {
      const { id, key } = await createKey(["games:read"], "to-revoke");
      expect((await call("/api/games", { key })).status).toBe(200);
      const first = await callJson(`/api/keys/${id}`, 200, { method: "DELETE" });
      expect(first.body.revokedAt).toMatch(ISO_UTC);
      const problem = await expectProblem(await call("/api/games", { key, ip: randomIp() }), 401, "unauthorized");
      // The same answer as for a key that never existed.
      expect(problem.detail).toBe("The API key is not recognised");
      const second = await callJson(`/api/keys/${id}`, 200, { method: "DELETE" });
      expect(second.body.revokedAt).toBe(first.body.revokedAt);
      const listed = await callJson<{ id: number; revokedAt: string | null }[]>("/api/keys", 200);
      expect(listed.body.find((k) => k.id === id)?.revokedAt).toBe(first.body.revokedAt);
      await expectProblem(await call("/api/keys/987654", { method: "DELETE" }), 404, "not-found");
    });

    it.each([
      ["an empty name", { name: "", scopes: ["games:read"] }, "name"],
      ["an unknown scope", { name: "x", scopes: ["games:read", "games:delete"] }, "scopes.1"],
      ["empty scopes", { name: "x", scopes: [] }, "scopes"],
      ["a client-chosen key", { name: "x", scopes: ["games:read"], key: "gdb_chosen" }, "key"],
    ])("rejects %s with 400 naming the field", async (_what, body, field) => {
      const problem = await expectProblem(await call("/api/keys", { body }), 400, "validation");
      expect(problem.errors?.map((e) => `${e.location}:${e.path}`)).toContain(`body:${field}`);
    });
  });
}
