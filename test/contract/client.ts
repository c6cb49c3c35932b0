import { describe, expect, it } from "vitest";
import { all, createGameDbClient, ok, pages, ProblemError, type GameInput } from "../../clients/typescript/src/index";
import { problemType } from "../../src/core/errors";
import { apiClient, sampleGame } from "../support/client";
import { uniqueTag, type ContractTarget } from "./target";

/**
 * The TypeScript client teams use (clients/typescript), against the real server: typed calls,
 * problems as ProblemError, pages that follow Link, headers per request and per client. Its
 * responses are checked against the served document like every other (test/support/client.ts).
 */
export function clientContract(target: ContractTarget) {
  const { gameDb, fetch } = apiClient(target);

  describe(`[${target.runtime}] the TypeScript client (clients/typescript)`, () => {
    it("creates, reads and conditionally updates a game with typed calls; the ETag of the answer makes the next write conditional", async () => {
      const created = await ok(gameDb.POST("/api/games", { body: sampleGame({ name: "Typed" }) as GameInput }));
      expect(created.response.status).toBe(201);
      expect(created.response.headers.get("Location")).toBe(`/api/games/${created.data.id}`);
      const read = await ok(gameDb.GET("/api/games/{id}", { params: { path: { id: created.data.id } } }));
      expect(read.data).toEqual(created.data);
      const etag = read.response.headers.get("ETag")!;
      const patched = await ok(gameDb.PATCH("/api/games/{id}", { params: { path: { id: created.data.id } }, headers: { "If-Match": etag }, body: { rank: 5 } }));
      expect(patched.data.rank).toBe(5);

      const stale = await ok(gameDb.PATCH("/api/games/{id}", { params: { path: { id: created.data.id } }, headers: { "If-Match": etag }, body: { rank: 6 } })).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ProblemError);
      const problem = stale as ProblemError;
      expect([problem.status, problem.code, problem.problem.status]).toEqual([412, "precondition-failed", 412]);
      expect(problem.problem.requestId).toBe(problem.response.headers.get("X-Request-Id"));
    });

    it("answers a problem as a ProblemError with its RFC 9457 body: field errors on a 400, the code on a 404", async () => {
      const invalid = await ok(gameDb.POST("/api/games", { body: { ...sampleGame(), rank: 0 } as GameInput })).catch((e: unknown) => e);
      expect(invalid).toBeInstanceOf(ProblemError);
      expect((invalid as ProblemError).code).toBe("validation");
      expect((invalid as ProblemError).problem.errors).toEqual([expect.objectContaining({ location: "body", path: "rank" })]);
      const missing = await ok(gameDb.GET("/api/games/{id}", { params: { path: { id: 987_654_321 } } })).catch((e: unknown) => e);
      expect([(missing as ProblemError).status, (missing as ProblemError).code]).toEqual([404, "not-found"]);
      // Without ok(): openapi-fetch's own { data, error, response }.
      const raw = await gameDb.GET("/api/games/{id}", { params: { path: { id: 987_654_321 } } });
      expect(raw.data).toBeUndefined();
      expect(raw.error).toMatchObject({ status: 404, type: problemType("not-found") });
    });

    it("pages() follows Link to the last page, all() collects the items, each page's response has its headers", async () => {
      const tag = uniqueTag();
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await ok(gameDb.POST("/api/games", { body: sampleGame({ name: `${tag} ${i}` }) as GameInput }))).data.id);
      const seen: { ids: number[]; total: string | null }[] = [];
      for await (const page of pages(gameDb, "/api/games/search", { name: tag, limit: 2 })) {
        seen.push({ ids: page.data.map((g) => g.id), total: page.response.headers.get("X-Total-Count") });
      }
      expect(seen).toEqual([
        { ids: ids.slice(0, 2), total: "5" },
        { ids: ids.slice(2, 4), total: "5" },
        { ids: ids.slice(4), total: "5" },
      ]);
      expect((await all(gameDb, "/api/games/search", { name: tag, limit: 2 })).map((g) => g.id)).toEqual(ids);
      await expect(all(gameDb, "/api/games/search", { name: tag, limit: 2 }, { maxPages: 2 })).rejects.toThrow(/more than 2 pages/);
    });

    it("asks for the key on every request; a middleware adds headers to every call and reads every answer's", async () => {
      let key: string | null = target.adminKey;
      const seen: string[] = [];
      const client = createGameDbClient({ baseUrl: target.origin, apiKey: () => key, fetch });
      client.use({
        onRequest: ({ request }) => {
          request.headers.set("CF-Connecting-IP", "198.19.7.7");
          request.headers.set("X-Client-Trace", "contract");
          return request;
        },
        onResponse: ({ response }) => void seen.push(response.headers.get("X-Request-Id") ?? "none"),
      });
      expect((await ok(client.GET("/api/stats"))).data.games.total).toBeGreaterThanOrEqual(0);
      key = "gdb_not-a-key";
      const refused = await ok(client.GET("/api/stats")).catch((e: unknown) => e);
      expect([(refused as ProblemError).status, (refused as ProblemError).code]).toEqual([401, "unauthorized"]);
      key = null;
      const anonymous = await ok(client.GET("/health"));
      expect(anonymous.data.status).toBe("ok");
      expect(seen).toHaveLength(3);
      expect(seen.every((id) => id !== "none")).toBe(true);
    });
  });
}
