import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { replaceLoneSurrogates } from "../../src/core/domain/text";
import { uniqueTag, type ContractTarget } from "./target";
import { apiClient, sampleGame, uniqueIosStoreId } from "../support/client";
import { expectProblem, type Problem } from "../support/problem";

/** Control characters a client can send in JSON or a query string: C0 (with NUL, tab, newline), DEL, C1. */
const CONTROL_CHARACTERS = ["\u0000", "\u0001", "\t", "\n", "\r", "\u001b", "\u001f", "\u007f", "\u0085", "\u009f"];
const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** A 400 validation problem naming `path` with the control-character rule, and no other field. */
async function expectControlCharacterError(res: Response, location: string, path: string) {
  const problem = await expectProblem(res, 400, "validation");
  expect(problem.errors).toContainEqual({ location, path, message: "must not contain control characters", code: "control_character" });
  // A store id also breaks its platform's pattern: other rules may add errors, on that field only.
  expect(problem.errors!.every((e) => e.location === location && e.path === path)).toBe(true);
  return problem;
}

/** The unknown-parameter entries of a problem, by name. */
const unknownParams = (problem: Problem) =>
  (problem.errors ?? []).filter((e) => e.code === "unrecognized_key").map((e) => ({ location: e.location, path: e.path, message: e.message }));

/**
 * Hostile input gets a 4xx, never a 5xx: control characters and lone surrogates in every text
 * input, unknown or repeated query parameters on every /api route, and the caps that bound the
 * cost of one search.
 */
export function inputContract(target: ContractTarget) {
  const { call, callJson, createGame } = apiClient(target);

  describe(`[${target.runtime}] text inputs: control characters are refused, lone surrogates replaced`, () => {
    it.each(CONTROL_CHARACTERS.map((ch) => [hex(ch), ch]))("%s in a search term → 400 naming name, by GET and POST, short or long", async (_name, ch) => {
      for (const term of [ch, `a${ch}`, `abc${ch}def`, `Minecraft ${ch}Earth`]) {
        await expectControlCharacterError(await call(`/api/games/search?name=${encodeURIComponent(term)}`), "query", "name");
        await expectControlCharacterError(await call("/api/games/search", { body: { name: term } }), "body", "name");
      }
    });

    it.each(["name", "storeId", "publisherId", "publisherName", "bundleId", "appVersion", "iconUrl"])(
      "NUL or a newline in %s → 400 on that field for POST, PUT and PATCH, and nothing is written",
      async (field) => {
        const game = await createGame();
        const valid = sampleGame({ iconUrl: "https://cdn.example.com/icon.png" }) as Record<string, unknown>;
        for (const ch of ["\u0000", "\n"]) {
          const value = field === "storeId" ? `123${ch}4` : `${String(valid[field])}${ch}x`;
          await expectControlCharacterError(await call("/api/games", { body: { ...valid, [field]: value } }), "body", field);
          await expectControlCharacterError(
            await call(`/api/games/${game.id}`, { method: "PUT", body: { ...valid, storeId: game.storeId, [field]: value } }),
            "body",
            field,
          );
          await expectControlCharacterError(await call(`/api/games/${game.id}`, { method: "PATCH", body: { [field]: value } }), "body", field);
        }
        expect((await callJson(`/api/games/${game.id}`, 200)).body).toEqual(game);
      },
    );

    it("a name's surrounding whitespace (a pasted newline) is trimmed, not refused", async () => {
      const game = await createGame({ name: "\n\tTrimmed Name \r\n" });
      expect(game.name).toBe("Trimmed Name");
    });

    it("NUL or a tab in an API key name → 400 naming name, and no key is created", async () => {
      const before = (await callJson<unknown[]>("/api/keys", 200)).body.length;
      for (const name of ["team\u0000", "a\tb"]) {
        await expectControlCharacterError(await call("/api/keys", { body: { name, scopes: ["games:read"] } }), "body", "name");
      }
      expect((await callJson<unknown[]>("/api/keys", 200)).body).toHaveLength(before);
    });

    it("lone surrogates become U+FFFD, as in ingestion; paired ones (emoji) are kept", async () => {
      const tag = uniqueTag();
      const game = await createGame({ name: `${tag} Broken \ud800 Half \udc00 End 🎮`, publisherName: "Pub\udbff" });
      expect(game.name).toBe(`${tag} Broken \ufffd Half \ufffd End 🎮`);
      expect(game.publisherName).toBe("Pub\ufffd");
      expect((await callJson(`/api/games/${game.id}`, 200)).body).toEqual(game);
      // A search term with a lone surrogate is the same term with U+FFFD: it finds the game.
      const found = await callJson<{ id: number }[]>("/api/games/search", 200, { body: { name: `${tag} Broken \udfff Half` } });
      expect(found.body.map((g) => g.id)).toEqual([game.id]);
      const patched = await callJson(`/api/games/${game.id}`, 200, { method: "PATCH", body: { appVersion: "\udc001.0" } });
      expect(patched.body.appVersion).toBe("\ufffd1.0");
    });
  });

  describe(`[${target.runtime}] query parameters: only known ones, each once, one spelling per value`, () => {
    /** Every /api operation of the OpenAPI document, with `{id}` filled in. */
    let operations: { method: string; path: string }[] = [];

    beforeAll(async () => {
      const doc = (await callJson<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json", 200, { key: null })).body;
      operations = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith("/api/"))
        .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path: path.replace("{id}", "987654321") })));
      expect(operations.length).toBeGreaterThanOrEqual(15);
    });

    it("every /api operation refuses unknown parameters: 400 with one error per parameter, named by it", async () => {
      for (const { method, path } of operations) {
        const res = await call(`${path}?junk=1&utm_source=x&Limit=5`, { method, ...(method === "POST" || method === "PUT" || method === "PATCH" ? { body: {} } : {}) });
        const problem = await expectProblem(res, 400, "validation");
        expect(unknownParams(problem), `${method} ${path}`).toEqual(
          ["junk", "utm_source", "Limit"].map((name) => ({ location: "query", path: name, message: "is not a recognised query parameter" })),
        );
      }
    });

    it.each([
      ["/api/games?limit=5&limit=6", "limit"],
      ["/api/games?platform=ios&platform=ios", "platform"],
      ["/api/games/search?name=a&name=b", "name"],
      ["/api/ingest/files?status=failed&status=dead", "status"],
    ])("%s → 400: %s must be given only once", async (path, name) => {
      const problem = await expectProblem(await call(path), 400, "validation");
      expect(problem.errors).toEqual([{ location: "query", path: name, message: "must be given only once", code: "repeated_parameter" }]);
    });

    it.each(["05", "5.0", "5e0", "+5", " 5", "0x5", "", "-0"])("limit=%j (another spelling of a number) → 400", async (limit) => {
      const problem = await expectProblem(await call(`/api/games?limit=${encodeURIComponent(limit)}`), 400, "validation");
      expect(problem.errors).toEqual([expect.objectContaining({ location: "query", path: "limit" })]);
    });

    it.each(["007", "7.0", "+7", "7e0"])("a path id spelled %j → 400 (only the plain digits name a resource)", async (id) => {
      const game = await createGame();
      const spelled = id.replace("7", String(game.id));
      const problem = await expectProblem(await call(`/api/games/${encodeURIComponent(spelled)}`), 400, "validation");
      expect(problem.errors).toEqual([expect.objectContaining({ location: "path", path: "id" })]);
    });

    it("a cursor must be spelled as the API issued it", async () => {
      await createGame();
      await createGame();
      const first = await callJson("/api/games?limit=1", 200);
      const link = first.res.headers.get("Link")!;
      const cursor = new URL(link.match(/<([^>]+)>/)![1]!, target.origin).searchParams.get("cursor")!;
      expect((await call(`/api/games?limit=1&cursor=${cursor}`)).status).toBe(200);
      // The same position, encoded with padding or with whitespace in its JSON.
      const after = (JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/"))) as { after: number }).after;
      for (const variant of [`${cursor}=`, btoa(JSON.stringify({ after }) + " ").replaceAll("=", ""), btoa(`{ "after": ${after} }`).replaceAll("=", "")]) {
        const problem = await expectProblem(await call(`/api/games?limit=1&cursor=${encodeURIComponent(variant)}`), 400, "validation");
        expect(problem.errors).toEqual([expect.objectContaining({ location: "query", path: "cursor", code: "invalid_cursor" })]);
      }
    });
  });

  describe(`[${target.runtime}] the cost of one search is bounded`, () => {
    it("a search term of 100 characters is served; 101 → 400 naming name, by GET and POST", async () => {
      expect((await call(`/api/games/search?name=${"a".repeat(100)}`)).status).toBe(200);
      expect((await call("/api/games/search", { body: { name: "a".repeat(100) } })).status).toBe(200);
      for (const res of [await call(`/api/games/search?name=${"a".repeat(101)}`), await call("/api/games/search", { body: { name: "é".repeat(101) } })]) {
        const problem = await expectProblem(res, 400, "validation");
        expect(problem.errors).toEqual([expect.objectContaining({ path: "name", message: "must be at most 100 characters" })]);
      }
    });

    it("offset 10000 is served; 10001 → 400 pointing at the cursor", async () => {
      for (const path of ["/api/games?offset=10000", "/api/games/search?name=x&offset=10000"]) {
        const { body } = await callJson(path, 200);
        expect(body).toEqual([]);
      }
      for (const path of ["/api/games?offset=10001", "/api/games/search?offset=999999999"]) {
        const problem = await expectProblem(await call(path), 400, "validation");
        expect(problem.errors).toEqual([
          { location: "query", path: "offset", message: "must be at most 10000; for deeper pages follow the cursor in the Link header", code: "offset_too_deep" },
        ]);
      }
    });

    it("the OpenAPI document states the caps", async () => {
      const doc = (await callJson("/openapi.json", 200, { key: null })).body;
      const param = (path: string, method: string, name: string) => doc.paths[path][method].parameters.find((p: { name: string }) => p.name === name);
      expect(param("/api/games/search", "get", "name").schema.maxLength).toBe(100);
      expect(doc.components.schemas.GameSearch.properties.name.maxLength).toBe(100);
      for (const [path, method] of [["/api/games", "get"], ["/api/games/search", "get"], ["/api/games/search", "post"]] as const) {
        expect(param(path, method, "offset").schema.maximum, `${method} ${path}`).toBe(10000);
        expect(param(path, method, "limit").schema.maximum).toBe(1000);
      }
      expect(doc.paths["/api/games"].get.responses["200"].headers).toHaveProperty("X-Total-Count-Relation");
    });
  });

  describe(`[${target.runtime}] any string input → never a 5xx`, () => {
    // Full Unicode, lone surrogates and control characters included; short strings are where
    // the scan fallback and the FTS syntax live, so they are favoured.
    const anyText = fc.oneof(
      fc.string({ unit: "binary", maxLength: 8 }),
      fc.string({ unit: fc.constantFrom(...CONTROL_CHARACTERS, "\ud800", "\udc00", '"', "*", "%", "_", "[", "a", "é", " "), maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 120 }),
    );
    const noServerError = (res: Response) => {
      expect(res.status, `${res.status}`).toBeLessThan(500);
      return res.body?.cancel();
    };

    it("as a search term, by GET and POST", async () => {
      await fc.assert(
        fc.asyncProperty(anyText, async (name) => {
          await noServerError(await call(`/api/games/search?name=${encodeURIComponent(replaceLoneSurrogates(name))}`));
          await noServerError(await call("/api/games/search", { body: { name } }));
        }),
        { numRuns: 60 },
      );
    });

    it("as any query parameter's name or value", async () => {
      await fc.assert(
        fc.asyncProperty(anyText, anyText, fc.constantFrom("/api/games", "/api/games/search", "/api/ingest/files", "/api/keys"), async (name, value, path) => {
          const query = new URLSearchParams([[replaceLoneSurrogates(name), replaceLoneSurrogates(value)]]);
          await noServerError(await call(`${path}?${query}`));
        }),
        { numRuns: 60 },
      );
    });

    it("as a game field or an API key name", async () => {
      await fc.assert(
        fc.asyncProperty(anyText, fc.constantFrom("name", "publisherName", "bundleId", "appVersion", "iconUrl", "storeId"), async (value, field) => {
          const res = await call("/api/games", { body: sampleGame({ storeId: uniqueIosStoreId(), [field]: value }) });
          await noServerError(res);
          await noServerError(await call("/api/keys", { body: { name: value, scopes: ["games:read"] } }));
        }),
        { numRuns: 60 },
      );
    });
  });
}
