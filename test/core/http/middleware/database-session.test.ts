import { applyD1Migrations, env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { callSettled as send, type Settled } from "../../../helpers/api";
import { LaggingReplica, REPLICA_REGION } from "../../../support/lagging-replica";
import { sampleGame } from "../../../support/client";

// Every request of the Worker runs in one D1 session (src/core/http/middleware/database-session.ts,
// src/platform/cloudflare/database.ts). The local D1 never lags, so these tests run the Worker
// over a database whose read replica lags (test/support/lagging-replica.ts); each `isolate()` is a
// fresh `env` object, so a fresh set of the Worker's services, as in another isolate or location.

const HEADER = "X-D1-Bookmark";
const replica = new LaggingReplica(env.DB, env.REPLICA_DB, ["games", "api_keys"]);
const isolate = (vars: Partial<Env> = {}): Env => ({ ...env, ...vars, DB: replica.binding });
const json = <T = any>(res: Settled): T => JSON.parse(res.text) as T;

beforeAll(async () => {
  await applyD1Migrations(env.REPLICA_DB, env.TEST_MIGRATIONS);
});

describe("where a request's session starts", () => {
  it("a write starts on the primary, a read anywhere, a request with a bookmark from it — one session per request", async () => {
    const worker = isolate();
    const before = replica.starts.length;
    const created = await send("/api/games", { body: sampleGame(), env: worker });
    expect(created.status).toBe(201);
    const id = json(created).id;
    const bookmark = created.headers.get(HEADER)!;
    expect((await send(`/api/games/${id}`, { method: "PATCH", body: { rank: 3 }, env: worker })).status).toBe(200);
    expect((await send(`/api/games/${id}`, { method: "DELETE", env: worker })).status).toBe(200);
    expect((await send("/api/keys", { env: worker })).status).toBe(200);
    expect((await send("/api/keys", { env: worker, headers: { [HEADER]: bookmark } })).status).toBe(200);
    expect(replica.starts.slice(before)).toEqual(["first-primary", "first-primary", "first-primary", "first-unconstrained", bookmark]);
  });

  it("a write's first query runs on the primary even while the replica is behind", async () => {
    await replica.catchUp();
    const served = { ...replica.served };
    const created = await send("/api/games", { body: sampleGame(), env: isolate() });
    expect(created.status).toBe(201);
    expect(replica.served.replica).toBe(served.replica);
    expect(replica.served.primary).toBeGreaterThan(served.primary);
  });
});

describe("a client that sends back its bookmark reads its own writes, from any location", () => {
  it("a key created in one isolate is missing from another's replica read without the bookmark, and listed with it", async () => {
    await replica.catchUp();
    const created = await send("/api/keys", { body: { name: "bookmarked-team", scopes: ["games:read"] }, env: isolate() });
    expect(created.status).toBe(201);
    const bookmark = created.headers.get(HEADER);
    expect(bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    const names = (res: Settled) => json<{ name: string }[]>(res).map((k) => k.name);

    // Elsewhere, without the bookmark: the nearest replica answers, and it has not seen the key.
    const withoutIt = await send("/api/keys", { env: isolate() });
    expect(withoutIt.status).toBe(200);
    expect(names(withoutIt)).not.toContain("bookmarked-team");
    // With it: the replica is too old for the session, so it reads data at least that fresh.
    const withIt = await send("/api/keys", { env: isolate(), headers: { [HEADER]: bookmark! } });
    expect(names(withIt)).toContain("bookmarked-team");
    expect(withIt.headers.get(HEADER)! >= bookmark!).toBe(true);
  });

  it("the access log says where the request's queries ran (D1's served_by_region / served_by_primary)", async () => {
    await replica.catchUp();
    const console_ = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const read = await send("/api/games?limit=3&platform=android", { env: isolate({ LOG_LEVEL: "info" }) });
      expect(read.status).toBe(200);
      expect(read.headers.get("X-Cache")).toBe("MISS");
      const lines = console_.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
      const access = lines.filter((l) => l.msg === "request" && l.requestId === read.headers.get("X-Request-Id"));
      expect(access).toEqual([expect.objectContaining({ servedByRegion: REPLICA_REGION, servedByPrimary: false })]);
    } finally {
      console_.mockRestore();
    }
  });
});
