import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callDrained, insertKey } from "../../helpers/checks";
import { cacheWriteRate } from "../../support/limited-env";

// KV takes one write per second to a key (the limited KV refuses a second one with a 429 and
// records it), so authenticating must not write a key's verdict twice in a row.

const verdictKey = (hash: string) => `auth:${hash}`;

describe("KV writes of key verdicts", () => {
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

  it("revoking a key within a second of its first use succeeds and stores the tombstone", async () => {
    const { id, key, hash } = await insertKey(["games:read"], "revoked-at-once");
    expect((await callDrained("/api/games?limit=1", { key })).status).toBe(200);
    const revoke = await callDrained(`/api/keys/${id}`, { method: "DELETE" });
    expect(revoke.status, await revoke.text()).toBe(200);
    expect(await env.CACHE.get(verdictKey(hash), "json")).toBe("revoked");
    expect((await callDrained("/api/games?limit=1", { key })).status).toBe(401);
  });
});
