import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { callJson, nextLink, walk } from "../../helpers/api";

// More rows than the caps: MAX_COUNTED_MATCHES (10,000) for the count of a name search and
// MAX_OFFSET (10,000) for offsets. Every 100th game is android; games 1–10,000 carry the word
// "Tenk", so exactly 10,000 match it.
const TOTAL = 10_200;
const ANDROID = TOTAL / 100;

beforeAll(async () => {
  const now = new Date().toISOString();
  // One statement: a recursive CTE generates the rows inside SQLite (the FTS triggers index them).
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO games (platform, store_id, name, is_published, created_at, updated_at)
     SELECT CASE WHEN i % 100 = 0 THEN 'android' ELSE 'ios' END,
            CASE WHEN i % 100 = 0 THEN 'com.bulk.g' || i ELSE CAST(700000000 + i AS TEXT) END,
            'Bulk Game ' || i || CASE WHEN i <= 10000 THEN ' Tenk' ELSE '' END,
            0, ?2, ?2
     FROM n`,
  )
    .bind(TOTAL, now)
    .run();
  const { results } = await env.DB.prepare("SELECT count(*) AS n FROM games").all<{ n: number }>();
  expect(results[0]!.n).toBe(TOTAL);
});

const totals = async (path: string) => {
  const { res } = await callJson(path, 200);
  return { count: res.headers.get("X-Total-Count"), relation: res.headers.get("X-Total-Count-Relation") };
};

describe("X-Total-Count", () => {
  it("is exact for lists, with or without a platform (counted on an index)", async () => {
    expect(await totals("/api/games?limit=1")).toEqual({ count: String(TOTAL), relation: "eq" });
    expect(await totals("/api/games?limit=1&platform=ios")).toEqual({ count: String(TOTAL - ANDROID), relation: "eq" });
    expect(await totals("/api/games/search?limit=1&platform=android")).toEqual({ count: String(ANDROID), relation: "eq" });
  });

  it.each([
    ["a 3+ character term (FTS index)", "name=Bulk"],
    ["a 1-character term (table scan)", "name=k"],
    ["a 2-character term (table scan)", "name=ul"],
    ["a term with a platform", "name=Bulk&platform=ios"],
  ])("stops at 10000 for a name search with more matches — %s — and says so with gte", async (_what, query) => {
    expect(await totals(`/api/games/search?limit=1&${query}`)).toEqual({ count: "10000", relation: "gte" });
  });

  it("is exact up to the cap: 10000 matches is eq, fewer too", async () => {
    expect(await totals("/api/games/search?limit=1&name=Tenk")).toEqual({ count: "10000", relation: "eq" });
    expect(await totals("/api/games/search?limit=1&name=Tenk&platform=android")).toEqual({ count: "100", relation: "eq" });
    // "Game 1" is in games 1, 10–19, 100–199, 1000–1999 and 10000–10200.
    expect(await totals("/api/games/search?limit=1&name=Game%201")).toEqual({ count: String(1 + 10 + 100 + 1000 + 201), relation: "eq" });
  });

  it("a capped search still pages to its last match by cursor", async () => {
    const pages = await walk("/api/games/search?name=Bulk&platform=android&limit=1000");
    expect(pages.flatMap((p) => p.ids)).toHaveLength(ANDROID);
    const all = await walk("/api/games/search?name=ul&limit=1000", {}, 20);
    expect(all.flatMap((p) => p.ids)).toHaveLength(TOTAL);
    expect(all.every((p) => p.total === "10000")).toBe(true);
  });
});

describe("offset walks past MAX_OFFSET", () => {
  it("the Link keeps the offset up to 10000, then continues by cursor, without gaps or repeats", async () => {
    const pages = await walk("/api/games?limit=100&offset=9800");
    const ids = pages.flatMap((p) => p.ids);
    const { body: expected } = await callJson<{ id: number }[]>("/api/games?limit=1000&offset=9200", 200);
    expect(ids).toEqual(expected.slice(600).map((g) => g.id));
    expect(ids).toHaveLength(TOTAL - 9800);
    const params = pages.slice(1).map((p) => new URL(p.path, "http://x").searchParams);
    expect(params.map((q) => q.get("offset"))).toEqual(["9900", "10000", null]);
    expect(params.slice(2).every((q) => q.get("cursor") && q.get("limit") === "100")).toBe(true);
  });

  it("a page that would end past 10000 links to a cursor at once", async () => {
    const { res, body } = await callJson<{ id: number }[]>("/api/games/search?name=Bulk&limit=50&offset=9990", 200);
    const next = new URL(nextLink(res)!, "http://x").searchParams;
    expect(next.has("offset")).toBe(false);
    const { body: after } = await callJson<{ id: number }[]>(nextLink(res)!, 200);
    expect(after[0]!.id).toBeGreaterThan(body.at(-1)!.id);
    expect(next.get("name")).toBe("Bulk");
  });
});
