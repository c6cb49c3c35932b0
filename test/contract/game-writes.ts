import { describe, expect, it } from "vitest";
import { type ContractTarget } from "./target";
import { apiClient, sampleGame } from "../support/client";
import { expectProblem } from "../support/problem";

/** One PATCH per writable field, each to a value no other PATCH sets. */
const FIELD_PATCHES = (n: number): Record<string, unknown>[] => [
  { name: `Concurrent ${n}` },
  { publisherId: `publisher-${n}` },
  { publisherName: `Publisher ${n}` },
  { bundleId: `com.concurrent.b${n}` },
  { appVersion: `${n}.0.0` },
  { isPublished: n % 2 === 0 },
  { iconUrl: `https://cdn.example.com/${n}.png` },
  { rank: 100 + n },
];

/**
 * Writes that race each other lose nothing, and conditional writes (`If-Match` with the ETag of
 * `GET /api/games/{id}`, RFC 9110 §13.1.1) refuse to overwrite a game that changed meanwhile.
 */
export function gameWritesContract(target: ContractTarget) {
  const { call, callJson, createGame } = apiClient(target);

  const read = async (id: number) => {
    const { res, body } = await callJson(`/api/games/${id}`, 200);
    return { game: body, etag: res.headers.get("ETag")! };
  };
  const write = (id: number, method: string, ifMatch: string | null, body?: unknown) =>
    call(`/api/games/${id}`, { method, ...(body === undefined ? {} : { body }), headers: ifMatch === null ? {} : { "If-Match": ifMatch } });

  describe(`[${target.runtime}] games: concurrent writes`, () => {
    it("PATCHes of different fields sent at once all land", async () => {
      for (let round = 0; round < 3; round++) {
        const game = await createGame({ publisherName: "Before", rank: 1 });
        const patches = FIELD_PATCHES(round + 1);
        const responses = await Promise.all(patches.map((patch) => call(`/api/games/${game.id}`, { method: "PATCH", body: patch })));
        for (const res of responses) expect(res.status, await res.text()).toBe(200);
        const { game: after } = await read(game.id);
        expect(after).toMatchObject(Object.assign({}, ...patches));
        expect(after).toMatchObject({ id: game.id, platform: game.platform, storeId: game.storeId, createdAt: game.createdAt });
      }
    });

    it("a PUT and PATCHes sent at once leave a state one of their orders could produce, never a mix of a PUT with an older row", async () => {
      const game = await createGame();
      const replacement = { name: "Replaced", platform: "ios", storeId: game.storeId };
      const [put, patch] = await Promise.all([write(game.id, "PUT", null, replacement), write(game.id, "PATCH", null, { rank: 42 })]);
      expect([put.status, patch.status]).toEqual([200, 200]);
      const { game: after } = await read(game.id);
      // PUT clears rank; the PATCH either came after it (rank 42) or before (cleared by the PUT).
      expect(after).toMatchObject({ name: "Replaced", publisherId: null, appVersion: null });
      expect([42, null]).toContain(after.rank);
    });
  });

  describe(`[${target.runtime}] games: If-Match`, () => {
    it("writes answer the ETag that GET then returns, so conditional writes can be chained", async () => {
      const game = await createGame();
      const { etag } = await read(game.id);
      expect(etag).toMatch(/^"[^"]+"$/);

      const patched = await write(game.id, "PATCH", etag, { appVersion: "3.0.0" });
      expect(patched.status, await patched.clone().text()).toBe(200);
      const patchedTag = patched.headers.get("ETag");
      expect(patchedTag).toMatch(/^"[^"]+"$/);
      expect(patchedTag).not.toBe(etag);
      expect(await read(game.id)).toEqual({ game: await patched.json(), etag: patchedTag });

      const put = await write(game.id, "PUT", patchedTag, sampleGame({ storeId: game.storeId, name: "Chained" }));
      expect(put.status, await put.clone().text()).toBe(200);
      expect((await read(game.id)).etag).toBe(put.headers.get("ETag"));

      const deleted = await write(game.id, "DELETE", put.headers.get("ETag"));
      expect(deleted.status).toBe(200);
      await expectProblem(await call(`/api/games/${game.id}`), 404, "not-found");
    });

    it("POST answers the new game's ETag too", async () => {
      const res = await call("/api/games", { body: sampleGame() });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { id: number };
      expect(res.headers.get("ETag")).toBe((await read(created.id)).etag);
    });

    it.each(["PUT", "PATCH", "DELETE"])("%s with a stale ETag → 412 precondition-failed, and nothing changes", async (method) => {
      const game = await createGame();
      const stale = (await read(game.id)).etag;
      await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { rank: 5 } });
      const current = await read(game.id);

      const body = method === "DELETE" ? undefined : method === "PUT" ? sampleGame({ storeId: game.storeId, name: "Lost" }) : { name: "Lost" };
      const problem = await expectProblem(await write(game.id, method, stale, body), 412, "precondition-failed");
      expect(problem.detail).toMatch(/If-Match/);
      expect(await read(game.id)).toEqual(current);
    });

    it("matches any tag of a list; a weak tag or a tag that is not quoted never matches (strong comparison)", async () => {
      const game = await createGame();
      const { etag } = await read(game.id);
      const opaque = etag.slice(1, -1);
      for (const header of [`W/${etag}`, opaque, `"${opaque}x"`, `""`]) {
        await expectProblem(await write(game.id, "PATCH", header, { rank: 7 }), 412, "precondition-failed");
      }
      expect((await read(game.id)).etag).toBe(etag);
      const res = await write(game.id, "PATCH", `"nope", ${etag} ,W/"other"`, { rank: 7 });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { rank: number }).rank).toBe(7);
    });

    it("If-Match: * applies the write whenever the game exists; an absent game is a 404, as without the header", async () => {
      const game = await createGame();
      const res = await write(game.id, "PATCH", "*", { name: "Starred" });
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await read(game.id)).game.name).toBe("Starred");
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        const body = method === "DELETE" ? undefined : method === "PUT" ? sampleGame() : { name: "Ghost" };
        await expectProblem(await write(987_654_321, method, "*", body), 404, "not-found");
      }
    });

    it("of concurrent PATCHes conditional on the same ETag exactly one applies; the others are 412", async () => {
      const game = await createGame();
      const { etag } = await read(game.id);
      const patches = FIELD_PATCHES(9);
      const responses = await Promise.all(patches.map((patch) => write(game.id, "PATCH", etag, patch)));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(patches.length - 1);
      const winner = patches[statuses.indexOf(200)]!;
      const { game: after } = await read(game.id);
      expect(after).toEqual({ ...game, ...winner, updatedAt: after.updatedAt });
    });

    it("a body that fails validation is a 400 even with a stale ETag (the precondition is checked after the request is valid)", async () => {
      const game = await createGame();
      await expectProblem(await write(game.id, "PATCH", '"stale"', { rank: 0 }), 400, "validation");
    });
  });
}
