import { beforeAll, describe, expect, it } from "vitest";
import { generatedRows, seedRows, type SeedRow } from "../../helpers/games";
import { call, callJson, nextLink, walk } from "../../helpers/api";
import { expectProblem } from "../../support/problem";
import { sampleGame } from "../../support/client";

const TOTAL = 250;
/** Seeded once, before any read in this file. Tests that add rows remove them again. */
let rows: (SeedRow & { id: number })[] = [];
let allIds: number[] = [];

beforeAll(async () => {
  const seed = generatedRows(TOTAL, "Page");
  const ids = await seedRows(seed);
  rows = seed.map((row, i) => ({ ...row, id: ids[i]! }));
  allIds = ids;
  expect(new Set(allIds).size).toBe(TOTAL);
});

const base64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

function expectWalk(pages: Awaited<ReturnType<typeof walk>>, expectedIds: number[], pageSize: number) {
  const seen = pages.flatMap((p) => p.ids);
  // No gaps, no repeats, ascending: exactly the expected ids in order.
  expect(seen).toEqual(expectedIds);
  expect(pages).toHaveLength(Math.ceil(expectedIds.length / pageSize));
  for (const [i, page] of pages.entries()) {
    expect(page.total).toBe(String(expectedIds.length));
    expect(page.ids.length).toBe(i < pages.length - 1 ? pageSize : expectedIds.length - pageSize * (pages.length - 1));
  }
}

describe("walking GET /api/games by Link rel=next", () => {
  it("with cursors: every game once, in id order, X-Total-Count on every page", async () => {
    const pages = await walk("/api/games?limit=40");
    expectWalk(pages, allIds, 40);
    for (const page of pages.slice(1)) {
      const url = new URL(page.path, "http://x");
      expect(url.searchParams.get("limit")).toBe("40");
      expect(url.searchParams.get("cursor")).toBeTruthy();
      expect(url.searchParams.has("offset")).toBe(false);
    }
  });

  it("with offsets: the same games; the Link keeps using offset", async () => {
    const pages = await walk("/api/games?limit=40&offset=0");
    expectWalk(pages, allIds, 40);
    expect(pages.slice(1).map((p) => new URL(p.path, "http://x").searchParams.get("offset"))).toEqual(["40", "80", "120", "160", "200", "240"]);
    expect(pages.slice(1).every((p) => !new URL(p.path, "http://x").searchParams.has("cursor"))).toBe(true);
  });

  it.each(["ios", "android"])("with platform=%s: only that platform, and the Link keeps the filter", async (platform) => {
    const expected = rows.filter((r) => r.platform === platform).map((r) => r.id);
    expect(expected.length).toBe(TOTAL / 2);
    const pages = await walk(`/api/games?limit=40&platform=${platform}`);
    expectWalk(pages, expected, 40);
    expect(pages.slice(1).every((p) => new URL(p.path, "http://x").searchParams.get("platform") === platform)).toBe(true);

    const byOffset = await walk(`/api/games?limit=40&offset=0&platform=${platform}`);
    expectWalk(byOffset, expected, 40);
  });

  it("a page size that divides the total ends without an empty page", async () => {
    const pages = await walk("/api/games?limit=50");
    expectWalk(pages, allIds, 50);
    expect(pages.at(-1)!.ids).toHaveLength(50);
  });

  it("an offset in the middle starts there", async () => {
    const { body, res } = await callJson<{ id: number }[]>("/api/games?limit=10&offset=245", 200);
    expect(body.map((g) => g.id)).toEqual(allIds.slice(245));
    expect(res.headers.get("Link")).toBeNull();
    expect(res.headers.get("X-Total-Count")).toBe(String(TOTAL));
  });

  it("an offset past the end is an empty page with the total and no Link", async () => {
    const { body, res } = await callJson("/api/games?offset=5000", 200);
    expect(body).toEqual([]);
    expect(res.headers.get("X-Total-Count")).toBe(String(TOTAL));
    expect(res.headers.get("Link")).toBeNull();
  });

  it("a cursor past the last id is an empty page with no Link", async () => {
    const { body, res } = await callJson(`/api/games?cursor=${base64url(JSON.stringify({ after: 10_000_000 }))}`, 200);
    expect(body).toEqual([]);
    expect(res.headers.get("Link")).toBeNull();
    expect(res.headers.get("X-Total-Count")).toBe(String(TOTAL));
  });
});

describe("limit", () => {
  it("defaults to 100", async () => {
    const res = await call("/api/games");
    const body = await res.json<{ id: number }[]>();
    expect(body.map((g) => g.id)).toEqual(allIds.slice(0, 100));
    expect(new URL(nextLink(res)!, "http://x").searchParams.get("limit")).toBe("100");
  });

  it("accepts 1 and the maximum, 1000", async () => {
    const one = await call("/api/games?limit=1");
    expect((await one.json<{ id: number }[]>()).map((g) => g.id)).toEqual([allIds[0]]);
    expect(nextLink(one)).not.toBeNull();

    const max = await callJson<{ id: number }[]>("/api/games?limit=1000", 200);
    expect(max.body.map((g) => g.id)).toEqual(allIds);
    expect(max.res.headers.get("Link")).toBeNull();
  });

  it.each(["0", "1001", "abc", "-1", "1.5", "10abc"])("400 for limit=%j, naming the query parameter", async (limit) => {
    const problem = await expectProblem(await call(`/api/games?limit=${limit}`), 400);
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "query", path: "limit" }));
  });

  it.each(["-1", "abc", "0.5"])("400 for offset=%j", async (offset) => {
    const problem = await expectProblem(await call(`/api/games?offset=${offset}`), 400);
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "query", path: "offset" }));
  });
});

describe("cursor", () => {
  it("400 when combined with offset", async () => {
    const first = await call("/api/games?limit=5");
    const cursor = new URL(nextLink(first)!, "http://x").searchParams.get("cursor")!;
    const problem = await expectProblem(await call(`/api/games?limit=5&offset=10&cursor=${cursor}`), 400);
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "query", path: "cursor" }));
  });

  it.each([
    ["not base64", "!!!"],
    ["base64 of non-JSON", base64url("hello")],
    ["JSON without after", base64url("{}")],
    ["a negative position", base64url(JSON.stringify({ after: -1 }))],
    ["a fractional position", base64url(JSON.stringify({ after: 1.5 }))],
    ["a string position", base64url(JSON.stringify({ after: "1" }))],
    ["JSON null", base64url("null")],
    ["over 200 characters", "A".repeat(201)],
  ])("400 for a cursor that is %s", async (_what, cursor) => {
    const problem = await expectProblem(await call(`/api/games?cursor=${encodeURIComponent(cursor)}`), 400);
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "query", path: "cursor" }));
  });

  it("a cursor is opaque but stable: the same cursor gives the same page", async () => {
    const first = await call("/api/games?limit=7");
    const next = nextLink(first)!;
    const a = await callJson<{ id: number }[]>(next, 200);
    const b = await callJson<{ id: number }[]>(next, 200);
    expect(a.body).toEqual(b.body);
    expect(a.body.map((g) => g.id)).toEqual(allIds.slice(7, 14));
  });
});

describe("writes during a cursor walk", () => {
  it("a game created mid-walk causes no repeats or gaps and shows up at the end", async () => {
    const seen: number[] = [];
    const totals: string[] = [];
    let path: string | null = "/api/games?limit=40";
    let created: { id: number } | undefined;
    while (path) {
      const { res, body } = await callJson<{ id: number }[]>(path, 200);
      seen.push(...body.map((g) => g.id));
      totals.push(res.headers.get("X-Total-Count")!);
      path = nextLink(res);
      if (seen.length === 80 && !created) {
        created = (await callJson("/api/games", 201, { body: sampleGame({ storeId: "77700000001" }) })).body;
      }
    }
    try {
      expect(created).toBeDefined();
      expect(seen).toEqual([...allIds, created!.id]);
      expect(totals.slice(0, 2)).toEqual([String(TOTAL), String(TOTAL)]);
      expect(totals.slice(2).every((t) => t === String(TOTAL + 1))).toBe(true);
    } finally {
      // Leave the seeded 250 as they were for the other tests in this file.
      if (created) await callJson(`/api/games/${created.id}`, 200, { method: "DELETE" });
    }
  });

  it("deleting a game the walk has already passed makes the cursor walk skip nothing", async () => {
    const extras: { id: number }[] = [];
    for (const storeId of ["77700000002", "77700000003", "77700000004"]) {
      extras.push((await callJson("/api/games", 201, { body: sampleGame({ storeId }) })).body);
    }
    try {
      // A cursor positioned after the seeded games, then pages of one.
      const seeded = await call(`/api/games?limit=${TOTAL}`);
      const next = new URL(nextLink(seeded)!, "http://x");
      next.searchParams.set("limit", "1");
      const seen: number[] = [];
      let path: string | null = `${next.pathname}${next.search}`;
      while (path) {
        const { res, body } = await callJson<{ id: number }[]>(path, 200);
        seen.push(...body.map((g) => g.id));
        path = nextLink(res);
        // Remove the game just read: with offsets this would shift the next game out of reach.
        if (seen.length === 1) await callJson(`/api/games/${extras[0]!.id}`, 200, { method: "DELETE" });
      }
      expect(seen).toEqual(extras.map((e) => e.id));
    } finally {
      for (const extra of extras) await call(`/api/games/${extra.id}`, { method: "DELETE" });
    }
  });
});
