import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { snapshot } from "../../../helpers/games";
import { call, callJson, createGame } from "../../../helpers/api";
import { expectProblem } from "../../../support/problem";
import { sampleGame, uniqueIosStoreId } from "../../../support/client";

const ORIGINAL_FIELDS = ["id", "publisherId", "name", "platform", "storeId", "bundleId", "appVersion", "isPublished", "createdAt", "updatedAt"];
const NEW_FIELDS = ["publisherName", "iconUrl", "rank"];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A complete, valid game body with a natural key no other test uses. */
const freshGame = (overrides: Record<string, unknown> = {}) => sampleGame({ storeId: uniqueIosStoreId(), ...overrides });

/** Sends a request that must be refused with `status`, and proves the database and cache version did not move. */
async function expectRejected(path: string, init: Parameters<typeof call>[1], status = 400) {
  const before = await snapshot();
  const problem = await expectProblem(await call(path, init), status);
  expect(await snapshot()).toEqual(before);
  return problem;
}

/** The optional fields of a game written without them: cleared. */
const CLEARED = { publisherId: null, publisherName: null, bundleId: null, appVersion: null, isPublished: false, iconUrl: null, rank: null };

describe("POST /api/games", () => {
  it("creates a game: 201, Location of the new game, the original camelCase fields plus publisherName, iconUrl, rank", async () => {
    const input = freshGame({ publisherName: "Psyonix LLC", iconUrl: "https://cdn.example.com/icon.png", rank: 7 });
    const res = await call("/api/games", { body: input });
    expect(res.status).toBe(201);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const game = await res.json<any>();

    expect(Object.keys(game).sort()).toEqual([...ORIGINAL_FIELDS, ...NEW_FIELDS].sort());
    expect(game).toMatchObject(input);
    expect(Number.isSafeInteger(game.id) && game.id > 0).toBe(true);
    expect(game.createdAt).toMatch(ISO_UTC);
    expect(game.updatedAt).toBe(game.createdAt);
    expect(res.headers.get("Location")).toBe(`/api/games/${game.id}`);

    const fetched = await callJson(res.headers.get("Location")!, 200);
    expect(fetched.body).toEqual(game);
  });

  it("stores absent optional fields as null and isPublished as false", async () => {
    const { storeId } = freshGame();
    const { body } = await callJson("/api/games", 201, { body: { name: "Bare", platform: "ios", storeId } });
    expect(body).toMatchObject({ name: "Bare", platform: "ios", storeId, ...CLEARED });
  });

  it("ignores the read-only id, createdAt and updatedAt sent in the body", async () => {
    const { body } = await callJson("/api/games", 201, {
      body: freshGame({ id: 999_999, createdAt: "1999-01-01T00:00:00.000Z", updatedAt: "1999-01-01T00:00:00.000Z" }),
    });
    expect(body.id).not.toBe(999_999);
    expect(body.createdAt).not.toBe("1999-01-01T00:00:00.000Z");
    expect(body.updatedAt).not.toBe("1999-01-01T00:00:00.000Z");
    await expectProblem(await call("/api/games/999999"), 404);
  });

  it("trims the name", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId(), name: "  Padded Name  " });
    expect(game.name).toBe("Padded Name");
  });

  it("answers 409 for a duplicate (platform, storeId) and changes nothing", async () => {
    const first = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected("/api/games", { body: sampleGame({ storeId: first.storeId, name: "Another name" }) }, 409);
    expect(problem.type).toBe("/problems/conflict");
    expect(problem.detail).toContain(first.storeId);
  });

  it("an android package name is not an ios storeId", async () => {
    const android = await createGame({ platform: "android", storeId: "com.example.samekey" });
    expect(android.platform).toBe("android");
    await expectRejected("/api/games", { body: sampleGame({ platform: "ios", storeId: "com.example.samekey" }) });
  });
});

describe("storeId must fit the platform", () => {
  it.each([
    ["ios", "1549027048"],
    ["ios", "7"],
    ["ios", "1".repeat(20)],
    ["android", "com.example.accepted"],
    ["android", "com.Example_2.game_3"],
  ])("accepts %s storeId %j", async (platform, storeId) => {
    const game = await createGame({ platform, storeId });
    expect(game).toMatchObject({ platform, storeId });
  });

  it.each([
    ["ios", "com.example.game"],
    ["ios", "12a34"],
    ["ios", " 123"],
    ["ios", "-123"],
    ["ios", "1".repeat(21)],
    ["android", "1549027048"],
    ["android", "nodots"],
    ["android", "com..example"],
    ["android", "1com.example"],
    ["android", "com.example.game "],
    ["android", "com.example-game.x"],
  ])("rejects %s storeId %j with a field error on storeId", async (platform, storeId) => {
    const problem = await expectRejected("/api/games", { body: sampleGame({ platform, storeId }) });
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "body", path: "storeId" }));
    expect(problem.errors!.every((e: any) => e.path === "storeId")).toBe(true);
  });
});

describe("validation errors per field and per wrong type", () => {
  const long = (n: number) => "x".repeat(n);
  const cases: [field: string, what: string, value: unknown][] = [
    ["name", "a number", 123],
    ["name", "null", null],
    ["name", "an empty string", ""],
    ["name", "only spaces", "   "],
    ["name", "201 characters", long(201)],
    ["platform", "a number", 1],
    ["platform", "an unknown platform", "windows"],
    ["platform", "a differently cased platform", "IOS"],
    ["storeId", "a number", 1549027048],
    ["storeId", "an empty string", ""],
    ["storeId", "256 characters", "1".repeat(256)],
    ["publisherId", "a number", 1500945164],
    ["publisherId", "256 characters", long(256)],
    ["publisherName", "a boolean", true],
    ["publisherName", "256 characters", long(256)],
    ["bundleId", "a number", 5],
    ["bundleId", "256 characters", long(256)],
    ["appVersion", "a number", 1.0],
    ["appVersion", "65 characters", long(65)],
    ["isPublished", "a string", "true"],
    ["isPublished", "a number", 1],
    ["isPublished", "null", null],
    ["iconUrl", "a number", 42],
    ["iconUrl", "not a URL", "not a url"],
    ["iconUrl", "an ftp URL", "ftp://example.com/icon.png"],
    ["iconUrl", "a javascript: URL", "javascript:alert(1)"],
    ["iconUrl", "2049 characters", `https://example.com/${long(2049 - 20)}`],
    ["rank", "a string", "1"],
    ["rank", "zero", 0],
    ["rank", "negative", -3],
    ["rank", "a fraction", 1.5],
    ["rank", "over a million", 1_000_001],
  ];

  it.each(cases)("POST: %s as %s → 400 with a body error on that field", async (field, _what, value) => {
    const problem = await expectRejected("/api/games", { body: freshGame({ [field]: value }) });
    expect(problem.type).toBe("/problems/validation");
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "body", path: field }));
    expect(problem.errors!.every((e: any) => e.location === "body" && e.path === field && typeof e.message === "string")).toBe(true);
  });

  // Every PATCH below is refused (and expectRejected proves it), so they can share one game.
  let patchTarget: any;
  beforeAll(async () => {
    patchTarget = await createGame({ storeId: uniqueIosStoreId() });
  });

  it.each(cases)("PATCH: %s as %s → 400 with a body error on that field", async (field, _what, value) => {
    const problem = await expectRejected(`/api/games/${patchTarget.id}`, { method: "PATCH", body: { [field]: value } });
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "body", path: field }));
    expect(problem.errors!.every((e: any) => e.path === field)).toBe(true);
  });

  it("accepts the boundary values of every rule", async () => {
    const game = await createGame({
      storeId: uniqueIosStoreId(),
      name: long(200),
      publisherId: long(255),
      publisherName: long(255),
      bundleId: long(255),
      appVersion: long(64),
      iconUrl: `http://example.com/${long(2048 - 19)}`,
      rank: 1_000_000,
      isPublished: false,
    });
    expect(game.name).toHaveLength(200);
    expect(game.iconUrl).toHaveLength(2048);
    expect(game.rank).toBe(1_000_000);
  });

  it.each(["name", "platform", "storeId"])("POST without the required %s → 400 naming it", async (field) => {
    const body: Record<string, unknown> = freshGame();
    delete body[field];
    const problem = await expectRejected("/api/games", { body });
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "body", path: field }));
  });

  it("POST with an empty object names every required field", async () => {
    const problem = await expectRejected("/api/games", { body: {} });
    const paths = problem.errors!.map((e: any) => e.path).sort();
    expect(paths).toEqual(["name", "platform", "storeId"]);
  });

  it("POST with a JSON array or a string instead of an object → 400", async () => {
    await expectRejected("/api/games", { body: [freshGame()] });
    await expectRejected("/api/games", { body: "Minecraft" });
  });

  it("an unknown field → 400 with code unrecognized_key on that field", async () => {
    const problem = await expectRejected("/api/games", { body: freshGame({ genre: "puzzle" }) });
    expect(problem.errors).toEqual([expect.objectContaining({ location: "body", path: "genre", code: "unrecognized_key" })]);
  });

  it("reports every bad field of one request at once", async () => {
    const problem = await expectRejected("/api/games", { body: freshGame({ name: 1, rank: 0, iconUrl: "nope", extra: 1 }) });
    const paths = new Set(problem.errors!.map((e: any) => e.path));
    expect(paths).toEqual(new Set(["name", "rank", "iconUrl", "extra"]));
  });
});

describe("GET /api/games/{id}", () => {
  it("returns the game", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const { body } = await callJson(`/api/games/${game.id}`, 200);
    expect(body).toEqual(game);
  });

  it("404 problem+json for an id that does not exist", async () => {
    const problem = await expectProblem(await call("/api/games/987654321"), 404);
    expect(problem.type).toBe("/problems/not-found");
  });

  it.each(["abc", "0", "-3", "1.5", "1e3x", "99999999999999999999"])("400 with a path error for id %j", async (id) => {
    const problem = await expectProblem(await call(`/api/games/${id}`), 400);
    expect(problem.errors).toContainEqual(expect.objectContaining({ location: "path", path: "id" }));
  });
});

describe("PUT /api/games/{id}", () => {
  it("replaces the whole game: optional fields left out are cleared, createdAt kept", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId(), publisherName: "P", iconUrl: "https://x.example/i.png", rank: 3 });
    const { body } = await callJson(`/api/games/${game.id}`, 200, {
      method: "PUT",
      body: { name: "Renamed", platform: "ios", storeId: game.storeId },
    });
    expect(body).toEqual({ ...game, name: "Renamed", ...CLEARED, updatedAt: body.updatedAt });
    expect(body.updatedAt >= game.updatedAt).toBe(true);
    expect((await callJson(`/api/games/${game.id}`, 200)).body).toEqual(body);
  });

  it("accepts a game read with GET, edited and sent back whole", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const { body } = await callJson(`/api/games/${game.id}`, 200, { method: "PUT", body: { ...game, appVersion: "9.9.9" } });
    expect(body).toEqual({ ...game, appVersion: "9.9.9", updatedAt: body.updatedAt });
  });

  it("can move a game to a new natural key", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const { body } = await callJson(`/api/games/${game.id}`, 200, {
      method: "PUT",
      body: sampleGame({ platform: "android", storeId: "com.moved.game" }),
    });
    expect(body).toMatchObject({ id: game.id, platform: "android", storeId: "com.moved.game" });
  });

  it("404 for a game that does not exist, and creates nothing", async () => {
    await expectRejected("/api/games/987654321", { method: "PUT", body: freshGame() }, 404);
  });

  it("400 when the body id differs from the path id, and changes nothing", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected(`/api/games/${game.id}`, { method: "PUT", body: { ...freshGame({ storeId: game.storeId }), id: game.id + 1 } });
    expect(problem.errors).toEqual([expect.objectContaining({ location: "body", path: "id" })]);
  });

  it("409 when changing to another game's (platform, storeId), and changes nothing", async () => {
    const a = await createGame({ storeId: uniqueIosStoreId() });
    const b = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected(`/api/games/${b.id}`, { method: "PUT", body: sampleGame({ storeId: a.storeId }) }, 409);
    expect(problem.type).toBe("/problems/conflict");
  });

  it("validates the whole body: a missing required field is a 400", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected(`/api/games/${game.id}`, { method: "PUT", body: { name: "Only a name" } });
    expect(problem.errors!.map((e: any) => e.path).sort()).toEqual(["platform", "storeId"]);
  });

  it("400 for a non-numeric id", async () => {
    await expectRejected("/api/games/abc", { method: "PUT", body: freshGame() });
  });
});

describe("PATCH /api/games/{id}", () => {
  it("changes only the fields sent", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId(), rank: 5 });
    const { body } = await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { appVersion: "2.0.0" } });
    expect(body).toEqual({ ...game, appVersion: "2.0.0", updatedAt: body.updatedAt });
    expect((await callJson(`/api/games/${game.id}`, 200)).body).toEqual(body);
  });

  it("clears a nullable field sent as null", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId(), rank: 5 });
    const { body } = await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { rank: null, bundleId: null } });
    expect(body).toMatchObject({ rank: null, bundleId: null, name: game.name, appVersion: game.appVersion });
  });

  it("an empty patch changes nothing but updatedAt", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const { body } = await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: {} });
    expect(body).toEqual({ ...game, updatedAt: body.updatedAt });
  });

  it("400 on storeId when the merged game's storeId no longer fits its platform", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected(`/api/games/${game.id}`, { method: "PATCH", body: { platform: "android" } });
    expect(problem.errors).toEqual([expect.objectContaining({ location: "body", path: "storeId" })]);

    const android = await createGame({ platform: "android", storeId: "com.patch.platform" });
    const second = await expectRejected(`/api/games/${android.id}`, { method: "PATCH", body: { storeId: "123456" } });
    expect(second.errors).toEqual([expect.objectContaining({ location: "body", path: "storeId" })]);
  });

  it("changes platform and storeId together", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const { body } = await callJson(`/api/games/${game.id}`, 200, {
      method: "PATCH",
      body: { platform: "android", storeId: "com.patch.together" },
    });
    expect(body).toMatchObject({ id: game.id, platform: "android", storeId: "com.patch.together", name: game.name });
  });

  it("409 when the patch moves the game onto another game's natural key, and changes nothing", async () => {
    const a = await createGame({ storeId: uniqueIosStoreId() });
    const b = await createGame({ storeId: uniqueIosStoreId() });
    await expectRejected(`/api/games/${b.id}`, { method: "PATCH", body: { storeId: a.storeId } }, 409);
  });

  it("404 for a game that does not exist", async () => {
    await expectRejected("/api/games/987654321", { method: "PATCH", body: { name: "Ghost" } }, 404);
  });

  it("400 when the body id differs from the path id", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected(`/api/games/${game.id}`, { method: "PATCH", body: { id: game.id + 1, name: "X" } });
    expect(problem.errors).toEqual([expect.objectContaining({ path: "id" })]);
  });

  it("400 for an unknown field", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const problem = await expectRejected(`/api/games/${game.id}`, { method: "PATCH", body: { nmae: "typo" } });
    expect(problem.errors).toEqual([expect.objectContaining({ path: "nmae", code: "unrecognized_key" })]);
  });
});

describe("DELETE /api/games/{id}", () => {
  it("answers {id}; afterwards the game is gone: GET, PUT, PATCH and DELETE all 404", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    const { body } = await callJson(`/api/games/${game.id}`, 200, { method: "DELETE" });
    expect(body).toEqual({ id: game.id });

    await expectProblem(await call(`/api/games/${game.id}`), 404);
    await expectRejected(`/api/games/${game.id}`, { method: "DELETE" }, 404);
    await expectRejected(`/api/games/${game.id}`, { method: "PATCH", body: { name: "Back" } }, 404);
    await expectRejected(`/api/games/${game.id}`, { method: "PUT", body: freshGame() }, 404);
  });

  it("frees the natural key for a new game, which gets a new id", async () => {
    const game = await createGame({ storeId: uniqueIosStoreId() });
    await callJson(`/api/games/${game.id}`, 200, { method: "DELETE" });
    const again = await createGame({ storeId: game.storeId });
    expect(again.id).toBeGreaterThan(game.id);
  });

  it("400 for a non-numeric id", async () => {
    await expectRejected("/api/games/abc", { method: "DELETE" });
  });
});

describe("the original app's scenario, with the original field names", () => {
  it("create → list contains it → update → search finds it, not a made-up name → delete → list empty", async () => {
    // Start from an empty table; the first step is a write through the API, which bumps the
    // cache version, so no cached read from earlier tests can answer the reads below.
    await env.DB.prepare("DELETE FROM games").run();

    const original = {
      publisherId: "5010001",
      name: "Helix Jump",
      platform: "android",
      storeId: "com.h8games.falldown",
      bundleId: "com.h8games.falldown",
      appVersion: "3.4.2",
      isPublished: true,
    };
    const created = await callJson("/api/games", 201, { body: original });
    expect(created.body).toMatchObject(original);
    const id = created.body.id;

    const listed = await callJson("/api/games", 200);
    expect(listed.body).toEqual([created.body]);

    const update = { ...original, name: "Helix Jump 2", appVersion: "3.5.0", isPublished: false };
    const updated = await callJson(`/api/games/${id}`, 200, { method: "PUT", body: update });
    expect(updated.body).toMatchObject({ id, ...update });

    const found = await callJson("/api/games/search", 200, { body: { name: "helix jump 2", platform: "android" } });
    expect(found.body).toEqual([updated.body]);
    const oldName = await callJson("/api/games/search", 200, { body: { name: "Helix Jump 3" } });
    expect(oldName.body).toEqual([]);
    const missing = await callJson("/api/games/search", 200, { body: { name: "No Such Game Anywhere" } });
    expect(missing.body).toEqual([]);

    const deleted = await callJson(`/api/games/${id}`, 200, { method: "DELETE" });
    expect(deleted.body).toEqual({ id });

    const empty = await callJson("/api/games", 200);
    expect(empty.body).toEqual([]);
    expect(empty.res.headers.get("X-Total-Count")).toBe("0");
  });
});

describe("validation messages", () => {
  it("are written for people: required, empty, too long, wrong type, not one of, not a URL", async () => {
    const { name: _name, ...noName } = sampleGame({ storeId: "9000001" });
    const cases: [Record<string, unknown>, string, string][] = [
      [noName, "name", "is required"],
      [sampleGame({ name: "" }), "name", "must not be empty"],
      [sampleGame({ storeId: "1".repeat(256) }), "storeId", "must be at most 255 characters"],
      [sampleGame({ isPublished: "yes" }), "isPublished", "must be a boolean"],
      [sampleGame({ rank: "3" }), "rank", "must be a number"],
      [sampleGame({ rank: 0 }), "rank", "must be at least 1"],
      [sampleGame({ platform: "pc" }), "platform", 'must be one of: "ios", "android"'],
      [sampleGame({ iconUrl: "ftp://example.com/i.png" }), "iconUrl", "must be a valid http(s) URL"],
    ];
    for (const [body, path, message] of cases) {
      const res = await call("/api/games", { body });
      expect(res.status, path).toBe(400);
      const problem = (await res.json()) as { errors: { path: string; message: string }[] };
      expect(problem.errors!.find((e) => e.path === path)?.message, path).toBe(message);
    }
  });
});
