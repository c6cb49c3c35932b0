import { beforeAll, describe, expect, it } from "vitest";
import { seedRows, type SeedRow } from "../../../helpers/games";
import { call, callJson, createGame, nextLink, walk } from "../../../helpers/api";
import { expectProblem } from "../../../support/problem";

/**
 * One fixed catalogue per file, seeded before any read (so no cached read predates it). Tests
 * that write create and remove their own games with names no other test searches for.
 */
const CATALOGUE: SeedRow[] = [
  { platform: "ios", storeId: "479516143", name: "Minecraft" },
  { platform: "android", storeId: "com.mojang.minecraftpe", name: "Minecraft" },
  { platform: "ios", storeId: "1300146617", name: "Minecraft Earth" },
  { platform: "android", storeId: "com.supercell.clashofclans", name: "Clash of Clans" },
  { platform: "ios", storeId: "529479190", name: "Clash of Clans" },
  { platform: "ios", storeId: "1000000001", name: "100% Orange Juice" },
  { platform: "android", storeId: "com.example.hundred", name: "Discount 100 percent" },
  { platform: "ios", storeId: "1000000002", name: "snake_case_game" },
  { platform: "android", storeId: "com.example.snakecase", name: "snakeXcaseXgame" },
  { platform: "ios", storeId: "1000000003", name: "a%b" },
  { platform: "android", storeId: "com.example.axxb", name: "axxb" },
  { platform: "ios", storeId: "1000000004", name: "Back\\slash" },
  { platform: "ios", storeId: "1000000005", name: 'Quote "Me" Maybe' },
  { platform: "android", storeId: "com.example.pokemon", name: "Pokémon GO" },
  { platform: "ios", storeId: "1000000006", name: "Go" },
  { platform: "android", storeId: "com.example.xy", name: "XY" },
  { platform: "ios", storeId: "1000000007", name: "Star* Wars?" },
  { platform: "android", storeId: "com.example.brackets", name: "[Beta] Build" },
];

let seeded: (SeedRow & { id: number })[] = [];
const ascending = (ids: number[]) => [...ids].sort((a, b) => a - b);
/** Ids of catalogue games by exact name. */
const idsOf = (...names: string[]) => ascending(seeded.filter((g) => names.includes(g.name)).map((g) => g.id));
/** What the API promises, computed independently: case-insensitive substring, exact platform. */
const expected = (name?: string, platform?: string) =>
  ascending(
    seeded
      .filter((g) => !platform || g.platform === platform)
      .filter((g) => !name || g.name.toLowerCase().includes(name.toLowerCase()))
      .map((g) => g.id),
  );

beforeAll(async () => {
  const inserted = await seedRows(CATALOGUE);
  seeded = CATALOGUE.map((row, i) => ({ ...row, id: inserted[i]! }));
});

/** The ids found by GET `?name=&platform=` and by POST with the same body, which must agree. */
async function searchBoth(criteria: { name?: string; platform?: string }, query = ""): Promise<number[]> {
  const params = new URLSearchParams(Object.entries(criteria).filter((e): e is [string, string] => e[1] !== undefined));
  const qs = [params.toString(), query].filter(Boolean).join("&");
  const viaGet = await callJson<{ id: number }[]>(`/api/games/search${qs ? `?${qs}` : ""}`, 200);
  const viaPost = await callJson<{ id: number }[]>(`/api/games/search${query ? `?${query}` : ""}`, 200, { body: criteria });
  expect(viaPost.body).toEqual(viaGet.body);
  expect(viaPost.res.headers.get("X-Total-Count")).toBe(viaGet.res.headers.get("X-Total-Count"));
  expect(viaPost.res.headers.get("Link")).toBe(viaGet.res.headers.get("Link"));
  const found = viaGet.body.map((g) => g.id);
  expect(found).toEqual(ascending(found));
  if (!viaGet.res.headers.get("Link")) expect(viaGet.res.headers.get("X-Total-Count")).toBe(String(found.length));
  return found;
}

describe("name: case-insensitive partial match", () => {
  it.each([
    ["CRAFT", ["Minecraft", "Minecraft Earth"]],
    ["minecraft", ["Minecraft", "Minecraft Earth"]],
    ["mInEcRaFt eArTh", ["Minecraft Earth"]],
    ["of cl", ["Clash of Clans"]],
    ["clans", ["Clash of Clans"]],
    ["Earth", ["Minecraft Earth"]],
  ])("%j finds %j", async (name, names) => {
    expect(await searchBoth({ name })).toEqual(idsOf(...names));
    expect(idsOf(...names)).toEqual(expected(name));
  });

  it("finds nothing for a name no game contains", async () => {
    expect(await searchBoth({ name: "Fortnite" })).toEqual([]);
    expect(await searchBoth({ name: "Minecraft Earthling" })).toEqual([]);
  });

  it("treats double quotes and backslashes as ordinary characters", async () => {
    expect(await searchBoth({ name: '"Me"' })).toEqual(idsOf('Quote "Me" Maybe'));
    expect(await searchBoth({ name: 'e "M' })).toEqual(idsOf('Quote "Me" Maybe'));
    expect(await searchBoth({ name: "k\\s" })).toEqual(idsOf("Back\\slash"));
    expect(await searchBoth({ name: "\\" })).toEqual(idsOf("Back\\slash"));
  });

  it("treats FTS5 query syntax as literal text", async () => {
    expect(await searchBoth({ name: "Minecraft OR Clash" })).toEqual([]);
    expect(await searchBoth({ name: "Mine*" })).toEqual([]);
    expect(await searchBoth({ name: "NEAR(a b)" })).toEqual([]);
    expect(await searchBoth({ name: "name:Minecraft" })).toEqual([]);
  });

  it.each(["POKÉMON", "kém", "KÉM", "ém", "ÉM", "é", "É"])("matches non-ASCII names case-insensitively: %j", async (name) => {
    expect(await searchBoth({ name })).toEqual(idsOf("Pokémon GO"));
  });
});

describe("platform: exact match", () => {
  it("filters by platform, alone or with a name", async () => {
    const android = seeded.filter((g) => g.platform === "android").map((g) => g.id);
    expect(android.length).toBeGreaterThan(0);
    expect(await searchBoth({ platform: "android" })).toEqual(android);
    expect(await searchBoth({ platform: "ios" })).toEqual(seeded.filter((g) => g.platform === "ios").map((g) => g.id));
    const minecraftIos = seeded.filter((g) => g.storeId === "479516143" || g.storeId === "1300146617").map((g) => g.id);
    expect(await searchBoth({ name: "craft", platform: "ios" })).toEqual(minecraftIos);
    const minecraftAndroid = seeded.filter((g) => g.storeId === "com.mojang.minecraftpe").map((g) => g.id);
    expect(await searchBoth({ name: "craft", platform: "android" })).toEqual(minecraftAndroid);
    expect(await searchBoth({ name: "Earth", platform: "android" })).toEqual([]);
  });

  it.each(["IOS", "Android", "windows", "i"])("400 for platform %j, in the query and in the body", async (platform) => {
    const viaGet = await expectProblem(await call(`/api/games/search?platform=${platform}`), 400);
    expect(viaGet.errors).toContainEqual(expect.objectContaining({ location: "query", path: "platform" }));
    const viaPost = await expectProblem(await call("/api/games/search", { body: { platform } }), 400);
    expect(viaPost.errors).toContainEqual(expect.objectContaining({ location: "body", path: "platform" }));
  });
});

describe("% and _ are literal characters", () => {
  it('"%" finds only names containing a literal "%", such as "100%"', async () => {
    expect(await searchBoth({ name: "%" })).toEqual(idsOf("100% Orange Juice", "a%b"));
    expect(await searchBoth({ name: "100%" })).toEqual(idsOf("100% Orange Juice"));
    expect(await searchBoth({ name: "0%" })).toEqual(idsOf("100% Orange Juice"));
  });

  it('"_" does not match any single character', async () => {
    expect(await searchBoth({ name: "_" })).toEqual(idsOf("snake_case_game"));
    expect(await searchBoth({ name: "e_c" })).toEqual(idsOf("snake_case_game"));
    expect(await searchBoth({ name: "snake_case" })).toEqual(idsOf("snake_case_game"));
    expect(await searchBoth({ name: "__" })).toEqual([]);
  });

  it("*, ?, [ and ] are literal too, in short terms as in long ones", async () => {
    expect(await searchBoth({ name: "*" })).toEqual(idsOf("Star* Wars?"));
    expect(await searchBoth({ name: "?" })).toEqual(idsOf("Star* Wars?"));
    expect(await searchBoth({ name: "s?" })).toEqual(idsOf("Star* Wars?"));
    expect(await searchBoth({ name: "r*" })).toEqual(idsOf("Star* Wars?"));
    expect(await searchBoth({ name: "[" })).toEqual(idsOf("[Beta] Build"));
    expect(await searchBoth({ name: "]" })).toEqual(idsOf("[Beta] Build"));
    expect(await searchBoth({ name: "[b" })).toEqual(idsOf("[Beta] Build"));
    expect(await searchBoth({ name: "[ab]" })).toEqual([]);
    expect(await searchBoth({ name: "r* w" })).toEqual(idsOf("Star* Wars?"));
  });

  it('"a%b" does not match "axxb"', async () => {
    expect(await searchBoth({ name: "a%b" })).toEqual(idsOf("a%b"));
    expect(await searchBoth({ name: "%b" })).toEqual(idsOf("a%b"));
    expect(await searchBoth({ name: "%%" })).toEqual([]);
  });
});

describe("1- and 2-character terms (scan fallback) and 3+ (trigram index)", () => {
  it.each([
    ["x", ["snakeXcaseXgame", "axxb", "XY"]],
    ["Y", ["XY", 'Quote "Me" Maybe']],
    ["go", ["Pokémon GO", "Go"]],
    ["GO", ["Pokémon GO", "Go"]],
    ["xY", ["XY"]],
    ["Ra", ["Minecraft", "Minecraft Earth", "100% Orange Juice"]],
  ])("%j finds %j", async (name, names) => {
    expect(await searchBoth({ name })).toEqual(idsOf(...names));
  });

  it.each(["a", "e", "c", "cr", "ar", "h", "of", "1", "00", " ", "Min", "ash", "ecr", "EAR", "oke", "ame"])(
    "%j finds exactly the games whose name contains it, ignoring case",
    async (name) => {
      for (const platform of [undefined, "android"]) {
        expect(await searchBoth({ name, platform })).toEqual(expected(name, platform));
      }
    },
  );

  it("a 1-character term is a substring match, not a prefix match", async () => {
    const found = await searchBoth({ name: "j" });
    expect(found).toEqual(idsOf("100% Orange Juice"));
  });
});

describe("no criteria → everything, paged", () => {
  it("an empty POST body, {}, a GET without parameters and an empty name all list every game", async () => {
    const all = seeded.map((g) => g.id);
    expect(await searchBoth({})).toEqual(all);
    expect(await searchBoth({ name: "" })).toEqual(all);
    const noBody = await callJson<{ id: number }[]>("/api/games/search", 200, { method: "POST" });
    expect(noBody.body.map((g) => g.id)).toEqual(all);
    expect(noBody.res.headers.get("X-Total-Count")).toBe(String(all.length));
  });

  it("pages with limit and a Link to the GET form that keeps name and platform", async () => {
    const all = await searchBoth({ name: "a", platform: "ios" });
    expect(all).toEqual(expected("a", "ios"));
    expect(all.length).toBeGreaterThan(2);

    const first = await callJson<{ id: number }[]>("/api/games/search?limit=2", 200, { body: { name: "a", platform: "ios" } });
    expect(first.body).toHaveLength(2);
    expect(first.res.headers.get("X-Total-Count")).toBe(String(all.length));
    const next = nextLink(first.res)!;
    const url = new URL(next, "http://x");
    expect(url.pathname).toBe("/api/games/search");
    expect(url.searchParams.get("name")).toBe("a");
    expect(url.searchParams.get("platform")).toBe("ios");
    expect(url.searchParams.get("limit")).toBe("2");
    expect(url.searchParams.get("cursor")).toBeTruthy();

    // Following the GET-form links walks the rest of the same result set.
    const rest = await walk(next);
    expect([...first.body.map((g) => g.id), ...rest.flatMap((p) => p.ids)]).toEqual(all);
    expect(rest.every((p) => p.total === String(all.length))).toBe(true);
  });

  it("the Link of an unfiltered search has no name or platform, and an empty name is dropped from it", async () => {
    const res = await call("/api/games/search?limit=1&name=");
    expect(res.status).toBe(200);
    const url = new URL(nextLink(res)!, "http://x");
    expect(url.searchParams.has("name")).toBe(false);
    expect(url.searchParams.has("platform")).toBe(false);
  });

  it("a name with characters that need escaping survives the round trip through the Link", async () => {
    const first = await call(`/api/games/search?limit=1&name=${encodeURIComponent("%")}`);
    expect(first.status).toBe(200);
    const url = new URL(nextLink(first)!, "http://x");
    expect(url.searchParams.get("name")).toBe("%");
    const second = await callJson<{ id: number }[]>(nextLink(first)!, 200);
    expect(second.body.map((g) => g.id)).toEqual(idsOf("a%b"));
  });
});

describe("bad search requests", () => {
  it("400 for an unknown body field, with its name", async () => {
    const problem = await expectProblem(await call("/api/games/search", { body: { name: "craft", title: "x" } }), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ location: "body", path: "title", code: "unrecognized_key" })]);
  });

  it("400 for a name of the wrong type or over 100 characters", async () => {
    const wrongType = await expectProblem(await call("/api/games/search", { body: { name: 42 } }), 400);
    expect(wrongType.errors).toContainEqual(expect.objectContaining({ location: "body", path: "name" }));
    const tooLong = await expectProblem(await call(`/api/games/search?name=${"a".repeat(101)}`), 400);
    expect(tooLong.errors).toContainEqual(expect.objectContaining({ location: "query", path: "name" }));
  });

  it("400 for a body that is not an object", async () => {
    await expectProblem(await call("/api/games/search", { body: ["craft"] }), 400);
    await expectProblem(await call("/api/games/search", { body: "craft" }), 400);
  });
});

describe("the index follows writes", () => {
  it("finds a game by its new name after a rename (PUT and PATCH), not by the old one", async () => {
    const game = await createGame({ storeId: "2000000001", name: "Zyzzyva Quest" });
    expect(await searchBoth({ name: "zyzzyva" })).toEqual([game.id]);

    await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { name: "Quokka Quest" } });
    expect(await searchBoth({ name: "zyzzyva" })).toEqual([]);
    expect(await searchBoth({ name: "quokka" })).toEqual([game.id]);

    await callJson(`/api/games/${game.id}`, 200, {
      method: "PUT",
      body: { name: "Wombat Quest", platform: "ios", storeId: "2000000001" },
    });
    expect(await searchBoth({ name: "quokka" })).toEqual([]);
    expect(await searchBoth({ name: "wombat" })).toEqual([game.id]);
    // A write that keeps the name keeps it findable.
    await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { appVersion: "2.0" } });
    expect(await searchBoth({ name: "wombat" })).toEqual([game.id]);
    expect(await searchBoth({ name: "wo" })).toEqual([game.id]);

    await callJson(`/api/games/${game.id}`, 200, { method: "DELETE" });
  });

  it("no longer finds a deleted game", async () => {
    const game = await createGame({ storeId: "2000000002", name: "Axolotl Rescue" });
    expect(await searchBoth({ name: "axolotl" })).toEqual([game.id]);
    await callJson(`/api/games/${game.id}`, 200, { method: "DELETE" });
    expect(await searchBoth({ name: "axolotl" })).toEqual([]);
    expect(await searchBoth({ name: "ax" })).toEqual(idsOf("axxb"));
  });
});
