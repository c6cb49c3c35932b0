import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { tombstoneKey, verdictKey } from "../../../../src/core/services/auth/verdicts";
import { insertKey } from "../../../helpers/checks";
import { cacheWriteRate } from "../../../support/limited-env";
import { callDrained } from "../../../helpers/api";

// Through the Worker under test, whose KV refuses a second write to a key within a second (429)
// and records every write: authenticating must not write a key's verdict twice in a row.

describe("KV writes of key verdicts, under KV's write rate", () => {
  it("a key's first use stores its verdict once (with its last-used time), and the next uses do not write it again", async () => {
    const { key, hash } = await insertKey(["games:read"], "first-use");
    expect((await callDrained("/api/games?limit=1", { key })).status).toBe(200);
    expect(cacheWriteRate.writesTo(verdictKey(hash))).toHaveLength(1);
    const stored = await env.CACHE.get<{ lastUsedAt: string | null }>(verdictKey(hash), "json");
    expect(stored?.lastUsedAt).toMatch(/^\d{4}-/);

    for (let i = 0; i < 3; i++) expect((await callDrained("/api/games?limit=1", { key })).status).toBe(200);
    expect(cacheWriteRate.writesTo(verdictKey(hash))).toHaveLength(1);
    expect(cacheWriteRate.refusedFor(verdictKey(hash))).toEqual([]);
  });

  it("revoking a key within a second of its first use succeeds at once and stores the tombstone", async () => {
    const { id, key, hash } = await insertKey(["games:read"], "revoked-at-once");
    expect((await callDrained("/api/games?limit=1", { key })).status).toBe(200);
    const revoke = await callDrained(`/api/keys/${id}`, { method: "DELETE" });
    expect(revoke.status, await revoke.text()).toBe(200);
    expect(cacheWriteRate.refusedFor(tombstoneKey(hash))).toEqual([]);
    expect(await env.CACHE.get(tombstoneKey(hash), "json")).toMatchObject({ keyId: id });
    expect((await callDrained("/api/games?limit=1", { key })).status).toBe(401);
  });
});
