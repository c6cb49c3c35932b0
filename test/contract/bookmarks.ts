import { describe, expect, it } from "vitest";
import { apiClient, sampleGame } from "../support/client";
import { expectProblem } from "../support/problem";
import { type ContractTarget } from "./target";

const HEADER = "X-D1-Bookmark";
/** The documented form of a D1 bookmark (src/core/domain/bookmark.ts). */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
const VALID = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";

/**
 * `X-D1-Bookmark`: every authenticated /api response carries one; a client that sends the newest
 * it holds reads at least that fresh (on Deno, one SQLite file, always). A malformed one is a 400
 * before anything runs — never a 500, never a write.
 */
export function bookmarksContract(target: ContractTarget) {
  const { call, callJson, createGame } = apiClient(target);

  describe(`[${target.runtime}] X-D1-Bookmark`, () => {
    it("a write answers a bookmark; a read sent with it sees the write, and answers a bookmark too", async () => {
      const created = await call("/api/games", { body: sampleGame({ name: "Bookmarked" }) });
      expect(created.status).toBe(201);
      const bookmark = created.headers.get(HEADER);
      expect(bookmark).toMatch(BOOKMARK);
      const game = (await created.json()) as { id: number };

      for (const path of [`/api/games/${game.id}`, "/api/games?limit=1000", "/api/keys"]) {
        const res = await call(path, { headers: { [HEADER]: bookmark! } });
        expect(res.status, path).toBe(200);
        expect(res.headers.get(HEADER), path).toMatch(BOOKMARK);
        if (path !== "/api/keys") expect(await res.text()).toContain(`"id":${game.id},`);
      }
    });

    it("every operation's error answer after authentication carries one too, and a bookmark on a write is accepted", async () => {
      const missing = await call("/api/games/999999999", { headers: { [HEADER]: VALID } });
      await expectProblem(missing, 404, "not-found");
      expect(missing.headers.get(HEADER)).toMatch(BOOKMARK);
      const game = await createGame();
      const patched = await call(`/api/games/${game.id}`, { method: "PATCH", body: { rank: 7 }, headers: { [HEADER]: VALID } });
      expect(patched.status).toBe(200);
      expect(patched.headers.get(HEADER)).toMatch(BOOKMARK);
    });

    it.each([
      ["garbage", "not-a-bookmark"],
      ["empty", ""],
      ["overlong", `${VALID}0`],
      ["very long", "0".repeat(10_000)],
      ["upper-case hex", VALID.toUpperCase()],
      ["a field too short", VALID.slice(1)],
      ["a constraint, not a bookmark", "first-primary"],
      ["SQL", "' OR 1=1 --"],
    ])("%s → 400 naming the header, and nothing is written", async (_, value) => {
      const name = `Never Written ${Math.random()}`;
      for (const [path, method, body] of [
        ["/api/games", "GET", undefined],
        ["/api/games", "POST", sampleGame({ name })],
      ] as const) {
        const res = await call(path, { method, headers: { [HEADER]: value }, ...(body ? { body } : {}) });
        const problem = await expectProblem(res, 400, "validation");
        expect(problem.errors).toEqual([expect.objectContaining({ location: "header", path: HEADER, code: expect.any(String) })]);
      }
      const { body: found } = await callJson<unknown[]>(`/api/games/search?name=${encodeURIComponent(name)}`, 200);
      expect(found).toEqual([]);
    });
  });
}
