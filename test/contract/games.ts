import { beforeAll, describe, expect, it } from "vitest";
import { uniqueTag, type ContractTarget } from "./target";
import { apiClient, sampleGame, uniqueIosStoreId } from "../support/client";
import { expectProblem } from "../support/problem";
import { ISO_UTC } from "../support/patterns";

const FIELDS = ["id", "publisherId", "name", "platform", "storeId", "bundleId", "appVersion", "isPublished", "createdAt", "updatedAt", "publisherName", "iconUrl", "rank"];

/** Games CRUD, validation, conflicts, pagination and search semantics. */
export function gamesContract(target: ContractTarget) {
  const { call, callJson, createGame, walk, nextLink } = apiClient(target);

  /** The number of games the list reports right now. */
  const total = async (query = "") => Number((await callJson(`/api/games?limit=1${query}`, 200)).res.headers.get("X-Total-Count"));

  describe(`[${target.runtime}] games: create, read, update, delete`, () => {
    it("POST creates: 201, Location, the original camelCase fields plus publisherName, iconUrl, rank", async () => {
      const input = sampleGame({ publisherName: "Psyonix LLC", iconUrl: "https://cdn.example.com/icon.png", rank: 7 });
      const res = await call("/api/games", { body: input });
      expect(res.status).toBe(201);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      const game = (await res.json()) as any;
      expect(Object.keys(game).sort()).toEqual([...FIELDS].sort());
      expect(game).toMatchObject(input);
      expect(Number.isSafeInteger(game.id) && game.id > 0).toBe(true);
      expect(game.createdAt).toMatch(ISO_UTC);
      expect(game.updatedAt).toBe(game.createdAt);
      expect(res.headers.get("Location")).toBe(`/api/games/${game.id}`);
      expect((await callJson(res.headers.get("Location")!, 200)).body).toEqual(game);
    });

    it("absent optional fields are stored as null and isPublished as false", async () => {
      const storeId = uniqueIosStoreId();
      const { body } = await callJson("/api/games", 201, { body: { name: "Bare", platform: "ios", storeId } });
      expect(body).toMatchObject({ name: "Bare", storeId, publisherId: null, publisherName: null, bundleId: null, appVersion: null, isPublished: false, iconUrl: null, rank: null });
    });

    it("a duplicate (platform, storeId) → 409 conflict, and nothing changes", async () => {
      const first = await createGame();
      const before = await total();
      const problem = await expectProblem(await call("/api/games", { body: sampleGame({ storeId: first.storeId, name: "Another" }) }), 409, "conflict");
      expect(problem.detail).toContain(first.storeId);
      expect(await total()).toBe(before);
      expect((await callJson(`/api/games/${first.id}`, 200)).body).toEqual(first);
      // The same store id on the other platform is another game… but not a valid ios id there.
      await expectProblem(await call("/api/games", { body: sampleGame({ platform: "android", storeId: first.storeId }) }), 400, "validation");
    });

    it("PUT replaces the whole game (absent optional fields cleared), PATCH changes only what is sent", async () => {
      const game = await createGame({ publisherName: "P", rank: 3 });
      const put = await callJson(`/api/games/${game.id}`, 200, { method: "PUT", body: { name: "Renamed", platform: "ios", storeId: game.storeId } });
      expect(put.body).toEqual({ ...game, name: "Renamed", publisherId: null, publisherName: null, bundleId: null, appVersion: null, isPublished: false, iconUrl: null, rank: null, updatedAt: put.body.updatedAt });
      expect(put.body.updatedAt >= game.updatedAt).toBe(true);

      const patched = await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { appVersion: "2.0.0", rank: 9 } });
      expect(patched.body).toEqual({ ...put.body, appVersion: "2.0.0", rank: 9, updatedAt: patched.body.updatedAt });
      expect((await callJson(`/api/games/${game.id}`, 200)).body).toEqual(patched.body);
    });

    it("PUT and PATCH onto another game's natural key → 409; a body id that differs from the path → 400", async () => {
      const a = await createGame();
      const b = await createGame();
      await expectProblem(await call(`/api/games/${b.id}`, { method: "PUT", body: sampleGame({ storeId: a.storeId }) }), 409, "conflict");
      await expectProblem(await call(`/api/games/${b.id}`, { method: "PATCH", body: { storeId: a.storeId } }), 409, "conflict");
      const mismatch = await expectProblem(await call(`/api/games/${b.id}`, { method: "PATCH", body: { id: b.id + 1 } }), 400, "validation");
      expect(mismatch.errors).toEqual([expect.objectContaining({ location: "body", path: "id" })]);
      expect((await callJson(`/api/games/${b.id}`, 200)).body).toEqual(b);
    });

    it("DELETE answers {id}; afterwards GET, PUT, PATCH and DELETE are 404 and the natural key is free", async () => {
      const game = await createGame();
      expect((await callJson(`/api/games/${game.id}`, 200, { method: "DELETE" })).body).toEqual({ id: game.id });
      await expectProblem(await call(`/api/games/${game.id}`), 404, "not-found");
      await expectProblem(await call(`/api/games/${game.id}`, { method: "DELETE" }), 404, "not-found");
      await expectProblem(await call(`/api/games/${game.id}`, { method: "PATCH", body: { name: "Back" } }), 404, "not-found");
      await expectProblem(await call(`/api/games/${game.id}`, { method: "PUT", body: sampleGame() }), 404, "not-found");
      const again = await createGame({ storeId: game.storeId });
      expect(again.id).toBeGreaterThan(game.id);
    });

    it.each(["abc", "0", "-3", "1.5", "99999999999999999999"])("id %j in the path → 400 naming path.id", async (id) => {
      const problem = await expectProblem(await call(`/api/games/${id}`), 400, "validation");
      expect(problem.errors).toContainEqual(expect.objectContaining({ location: "path", path: "id" }));
    });
  });

  describe(`[${target.runtime}] games: validation`, () => {
    it.each([
      ["name", 123],
      ["name", "   "],
      ["platform", "windows"],
      ["platform", "IOS"],
      ["storeId", "com.example.game"],
      ["isPublished", "true"],
      ["iconUrl", "javascript:alert(1)"],
      ["rank", 0],
      ["rank", 1.5],
    ])("%s = %j → 400 with one body error on that field, and nothing is created", async (field, value) => {
      const before = await total();
      const problem = await expectProblem(await call("/api/games", { body: sampleGame({ [field]: value }) }), 400, "validation");
      expect(problem.errors).toContainEqual(expect.objectContaining({ location: "body", path: field }));
      expect(problem.errors!.every((e) => e.location === "body" && e.path === field)).toBe(true);
      expect(await total()).toBe(before);
    });

    it("an empty object names every required field; an unknown field is unrecognized_key", async () => {
      const empty = await expectProblem(await call("/api/games", { body: {} }), 400, "validation");
      expect(empty.errors!.map((e) => e.path).sort()).toEqual(["name", "platform", "storeId"]);
      const unknown = await expectProblem(await call("/api/games", { body: sampleGame({ genre: "puzzle" }) }), 400, "validation");
      expect(unknown.errors).toEqual([expect.objectContaining({ location: "body", path: "genre", code: "unrecognized_key" })]);
    });
  });

  describe(`[${target.runtime}] games: pagination`, () => {
    const tag = uniqueTag();
    let created: any[] = [];

    beforeAll(async () => {
      created = [];
      for (let i = 0; i < 23; i++) {
        created.push(await createGame(i % 2 ? { name: `${tag} page ${i}` } : { name: `${tag} page ${i}`, platform: "android", storeId: `com.${tag.toLowerCase()}.g${i}` }));
      }
    });

    const expectWalk = (pages: Awaited<ReturnType<typeof walk>>, size: number) => {
      const ids = pages.flatMap((p) => p.ids);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      for (const [i, page] of pages.entries()) {
        expect(page.total).toBe(String(ids.length));
        if (i < pages.length - 1) expect(page.ids).toHaveLength(size);
      }
      expect(pages).toHaveLength(Math.max(1, Math.ceil(ids.length / size)));
      return ids;
    };

    it("walking GET /api/games by cursor and by offset sees every game once, in id order", async () => {
      const byCursor = expectWalk(await walk("/api/games?limit=7"), 7);
      for (const game of created) expect(byCursor).toContain(game.id);
      const byOffset = expectWalk(await walk("/api/games?limit=7&offset=0"), 7);
      expect(byOffset).toEqual(byCursor);
    });

    it("a platform filter and a search keep their criteria in the Link", async () => {
      const android = expectWalk(await walk("/api/games?limit=5&platform=android"), 5);
      expect(android).toEqual(expect.arrayContaining(created.filter((g) => g.platform === "android").map((g) => g.id)));
      const found = expectWalk(await walk(`/api/games/search?name=${encodeURIComponent(tag)}&platform=ios&limit=4`), 4);
      expect(found).toEqual(created.filter((g) => g.platform === "ios").map((g) => g.id));
    });

    it("limit over 1000, a bad cursor, or cursor with offset → 400; an offset past the end is an empty page", async () => {
      await expectProblem(await call("/api/games?limit=1001"), 400, "validation");
      await expectProblem(await call("/api/games?cursor=not-a-cursor"), 400, "validation");
      const first = await callJson("/api/games?limit=2", 200);
      const cursor = new URL(nextLink(first.res)!, target.origin).searchParams.get("cursor")!;
      await expectProblem(await call(`/api/games?cursor=${cursor}&offset=2`), 400, "validation");
      const past = await callJson("/api/games?offset=10000", 200);
      expect(past.body).toEqual([]);
      expect(past.res.headers.get("Link")).toBeNull();
    });
  });

  describe(`[${target.runtime}] games: search`, () => {
    const tag = uniqueTag();
    const names = {
      minecraft: `${tag} Minecraft Earth`,
      juice: `${tag} 100% Orange Juice`,
      hundred: `${tag} 1000 Orange Juice`,
      percent: `${tag} a%b`,
      axxb: `${tag} axxb`,
      snake: `${tag} snake_case_game`,
      snakeX: `${tag} snakeXcaseXgame`,
      pokemon: `${tag} Pokémon GO`,
      quote: `${tag} Quote "Me" Maybe`,
    };
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      for (const [k, name] of Object.entries(names)) {
        const android = k === "pokemon" || k === "axxb";
        ids[k] = (await createGame(android ? { name, platform: "android", storeId: `com.${tag.toLowerCase()}.${k.toLowerCase()}` } : { name })).id;
      }
    });

    /** The ids GET ?name=&platform= finds; POST with the same body must agree. */
    async function search(criteria: { name?: string; platform?: string }): Promise<number[]> {
      const params = new URLSearchParams(Object.entries(criteria).filter((e): e is [string, string] => e[1] !== undefined));
      const viaGet = await callJson<{ id: number }[]>(`/api/games/search?${params}`, 200);
      const viaPost = await callJson<{ id: number }[]>("/api/games/search", 200, { body: criteria });
      expect(viaPost.body).toEqual(viaGet.body);
      expect(viaPost.res.headers.get("X-Total-Count")).toBe(viaGet.res.headers.get("X-Total-Count"));
      return viaGet.body.map((g) => g.id);
    }
    const idsOf = (...keys: (keyof typeof names)[]) => keys.map((k) => ids[k]!).sort((a, b) => a - b);

    it("matches part of the name, ignoring case (ASCII and beyond)", async () => {
      expect(await search({ name: `${tag} MINECRAFT` })).toEqual(idsOf("minecraft"));
      expect(await search({ name: `${tag.toLowerCase()} minecraft eArTh` })).toEqual(idsOf("minecraft"));
      expect(await search({ name: "ECRAFT EAR" }).then((found) => found.filter((id) => Object.values(ids).includes(id)))).toEqual(idsOf("minecraft"));
      expect(await search({ name: `${tag} POKÉMON` })).toEqual(idsOf("pokemon"));
      expect(await search({ name: `${tag} pokémon go` })).toEqual(idsOf("pokemon"));
      expect(await search({ name: `${tag} 100` })).toEqual(idsOf("juice", "hundred"));
    });

    it("% and _ are literal characters, not wildcards", async () => {
      expect(await search({ name: `${tag} 100%` })).toEqual(idsOf("juice"));
      expect(await search({ name: `${tag} a%b` })).toEqual(idsOf("percent"));
      expect(await search({ name: `${tag} snake_case` })).toEqual(idsOf("snake"));
      expect(await search({ name: `${tag} snake_` })).toEqual(idsOf("snake"));
      expect(await search({ name: `${tag} %` })).toEqual([]);
      expect(await search({ name: `${tag} __` })).toEqual([]);
    });

    it("quotes and FTS query syntax are literal text", async () => {
      expect(await search({ name: `${tag} Quote "Me"` })).toEqual(idsOf("quote"));
      expect(await search({ name: `${tag} Minecraft OR ${tag} axxb` })).toEqual([]);
      expect(await search({ name: `${tag} Mine*` })).toEqual([]);
    });

    it("platform is an exact filter, alone or with a name; an unknown platform is a 400", async () => {
      expect(await search({ name: tag, platform: "android" })).toEqual(idsOf("axxb", "pokemon"));
      expect(await search({ name: `${tag} pok`, platform: "ios" })).toEqual([]);
      const all = await search({ name: tag });
      expect(all).toEqual(Object.values(ids).sort((a, b) => a - b));
      await expectProblem(await call("/api/games/search?platform=IOS"), 400, "validation");
      await expectProblem(await call("/api/games/search", { body: { platform: "windows" } }), 400, "validation");
    });

    it("no criteria lists every game, paged like the list", async () => {
      const listed = await callJson<{ id: number }[]>("/api/games?limit=1000", 200);
      const searched = await callJson<{ id: number }[]>("/api/games/search?limit=1000", 200, { body: {} });
      expect(searched.res.headers.get("X-Total-Count")).toBe(listed.res.headers.get("X-Total-Count"));
      expect(searched.body.map((g) => g.id)).toEqual(listed.body.map((g) => g.id));
    });
  });
}
