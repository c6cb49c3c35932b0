import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, callJson, createKey } from "../../helpers/api";
import { countRows, withTableHidden } from "../../helpers/checks";
import { jsonOfSize } from "../../helpers/bodies";
import { dataVersionState } from "../../helpers/games";
import { randomIp, sampleGame } from "../../support/client";
import { expectProblem } from "../../support/problem";
import { UUID } from "../../support/patterns";

const LIMIT = 64 * 1024;


describe("problem responses", () => {
  it("an empty JSON body where one is required → 400", async () => {
    const res = await call("/api/games", { method: "POST", rawBody: "", contentType: "application/json" });
    const problem = await expectProblem(res, 400);
    expect(problem.type).toMatch(/malformed-json|validation/);
  });

  it("a body with no Content-Type → 415", async () => {
    const res = await call("/api/games", { method: "POST", rawBody: new TextEncoder().encode(JSON.stringify(sampleGame())) });
    await expectProblem(res, 415, "unsupported-media-type");
  });

  it("validation failures list each field with its location", async () => {
    const res = await call("/api/keys", { body: { name: "", scopes: ["nope"], extra: 1 } });
    const problem = await expectProblem(res, 400, "validation");
    expect(problem.errors?.map((e) => `${e.location}:${e.path}`).sort()).toEqual(["body:extra", "body:name", "body:scopes.0"]);
    for (const e of problem.errors!) expect(e).toEqual({ location: "body", path: expect.any(String), message: expect.any(String), code: expect.any(String) });
  });
});

describe("internal failures", () => {
  const INTERNALS = /select|insert|update|from\s|sqlite|d1_error|no such table|games_hidden|api_keys|drizzle|\bat\s.+:\d+|\.ts\b|\.js\b/i;

  afterEach(() => vi.restoreAllMocks());

  async function expectOpaque500(res: Response) {
    const text = await res.clone().text();
    const problem = await expectProblem(res, 500, "internal");
    expect(problem.detail).toBe("The server failed to handle this request");
    expect(problem.title).toBe("Internal server error");
    expect(problem.errors).toBeUndefined();
    // Only the documented members: nothing like `stack` or `cause`.
    expect(Object.keys(problem).sort()).toEqual(["detail", "instance", "requestId", "status", "title", "type"]);
    expect(text.replace(/"instance":"[^"]*"/, "")).not.toMatch(INTERNALS);
    expect(res.headers.get("X-Request-Id")).toBe(problem.requestId);
  }

  it("a failing database query → 500 with no stack, SQL or table names", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const key = (await createKey(["games:read", "games:write"], "fault")).key;
    await withTableHidden("games", async () => {
      await expectOpaque500(await call("/api/games?limit=3", { key }));
      await expectOpaque500(await call("/api/games/search?name=rocket", { key }));
      await expectOpaque500(await call("/api/games", { key, body: sampleGame({ storeId: "8800001" }) }));
    });
    // Once the table is back, the same requests work again.
    expect((await call("/api/games?limit=3", { key })).status).toBe(200);
  });

  it("a failing key lookup → 500 with no internals, and the key is not let in", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { key } = await createKey(["games:read"], "lookup-fault");
    await withTableHidden("api_keys", async () => {
      await expectOpaque500(await call("/api/games?limit=4", { key, ip: randomIp() }));
    });
    expect((await call("/api/games?limit=4", { key })).status).toBe(200);
  });
});

describe("X-Request-Id", () => {
  it("is on every response, success or error, and names the problem", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const reader = (await createKey(["games:read"], "rid")).key;
    const responses: [string, Response][] = [
      ["200 list", await call("/api/games")],
      ["201 create", await call("/api/keys", { body: { name: "rid-2", scopes: ["games:read"] } })],
      ["200 health", await call("/health", { key: null, ip: randomIp() })],
      ["200 openapi", await call("/openapi.json", { key: null, ip: randomIp() })],
      ["200 docs", await call("/docs", { key: null, ip: randomIp() })],
      ["400", await call("/api/keys", { body: {} })],
      ["401", await call("/api/games", { key: null, ip: randomIp() })],
      ["403", await call("/api/keys", { key: reader })],
      ["404", await call("/api/nope")],
      ["405", await call("/api/games", { method: "PATCH" })],
      ["413", await call("/api/games", { rawBody: jsonOfSize(LIMIT + 1), contentType: "application/json" })],
      ["415", await call("/api/games", { rawBody: "x", contentType: "text/plain" })],
    ];
    const ids = new Set<string>();
    for (const [what, res] of responses) {
      const id = res.headers.get("X-Request-Id");
      expect(id, what).toMatch(UUID);
      ids.add(id!);
      if (res.status >= 400) expect((await res.json<{ requestId: string }>()).requestId, what).toBe(id);
    }
    expect(ids.size).toBe(responses.length);
  });

  it("reuses Cloudflare's CF-Ray id when the request has one", async () => {
    const res = await call("/api/nope", { headers: { "CF-Ray": "8f1e2d3c4b5a6978-AMS" } });
    expect(res.headers.get("X-Request-Id")).toBe("8f1e2d3c4b5a6978-AMS");
    expect((await res.json<{ requestId: string }>()).requestId).toBe("8f1e2d3c4b5a6978-AMS");
  });
});

describe("rejected requests", () => {
  it("write nothing", async () => {
    const games = await countRows("games");
    const keys = await countRows("api_keys");
    const version = await dataVersionState();
    const reader = (await createKey(["games:read"], "reject-reader")).key;
    const keysAfterSetup = keys + 1;
    const game = JSON.stringify(sampleGame({ storeId: "4400001" }));
    const rejected: [number, Response][] = [
      [400, await call("/api/games", { rawBody: game.slice(0, -1), contentType: "application/json" })],
      [400, await call("/api/games", { body: { ...sampleGame({ storeId: "4400001" }), isPublished: "yes" } })],
      [400, await call("/api/keys", { body: { name: "x", scopes: ["games:read"], admin: true } })],
      [415, await call("/api/games", { rawBody: game, contentType: "text/plain" })],
      [413, await call("/api/games", { rawBody: game.replace('"name":"', `"name":"${"x".repeat(LIMIT)}`), contentType: "application/json" })],
      [401, await call("/api/games", { key: null, body: JSON.parse(game), ip: randomIp() })],
      [403, await call("/api/games", { key: reader, body: JSON.parse(game) })],
      [405, await call("/api/games", { method: "PATCH", body: JSON.parse(game) })],
      [404, await call("/api/games/424242", { method: "PUT", body: JSON.parse(game) })],
    ];
    for (const [status, res] of rejected) await expectProblem(res, status);
    expect(await countRows("games")).toBe(games);
    expect(await countRows("api_keys")).toBe(keysAfterSetup);
    expect(await env.DB.prepare("SELECT id FROM games WHERE store_id = '4400001'").first()).toBeNull();
    expect(await dataVersionState()).toEqual(version);
    // The same game is accepted once the request is right.
    await callJson("/api/games", 201, { body: JSON.parse(game) });
  });
});
