// The response check every HTTP test relies on (test/support/openapi-responses.ts) bites: a
// response the served document does not describe — an undocumented status, a body or a header
// that does not match, another content type — fails the request that received it.
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { apiClient, randomIp } from "./client";
import { createResponseValidator, UndocumentedResponseError, type OpenApiDocument, type ResponseValidator } from "./openapi-responses";

const ORIGIN = "http://game-db.test";

let validator: ResponseValidator;

beforeAll(async () => {
  const res = await SELF.fetch(`${ORIGIN}/openapi.json`, { headers: { "CF-Connecting-IP": randomIp() } });
  validator = createResponseValidator((await res.json()) as OpenApiDocument);
});

/** A real response of the Worker, read to the end, to tamper with. */
async function served(path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has("Authorization")) headers.set("Authorization", `Bearer ${env.ADMIN_API_KEY}`);
  headers.set("CF-Connecting-IP", randomIp());
  const res = await SELF.fetch(`${ORIGIN}${path}`, { ...init, headers });
  return { status: res.status, headers: new Headers(res.headers), body: await res.text() };
}

const check = (method: string, path: string, r: { status: number; headers: Headers; body: string }) =>
  validator.check(method, `${ORIGIN}${path}`, r.status, r.headers, r.body);

describe("the response check against the served OpenAPI document", () => {
  let game: { id: number };

  beforeAll(async () => {
    const body = JSON.stringify({ name: "Checked", platform: "ios", storeId: String(930_000_000 + Math.floor(Math.random() * 1e6)) });
    const created = await served("/api/games", { method: "POST", body, headers: { "Content-Type": "application/json" } });
    expect(created.status).toBe(201);
    game = JSON.parse(created.body);
  });

  it("passes the API's real answers: a page, a game, a 304, a problem, an unknown route's 404", async () => {
    const page = await served("/api/games?limit=2");
    expect(check("GET", "/api/games?limit=2", page)).toEqual({ label: "GET /api/games (listGames)", problems: [] });
    const one = await served(`/api/games/${game.id}`);
    expect(check("GET", `/api/games/${game.id}`, one).problems).toEqual([]);
    const notModified = await served(`/api/games/${game.id}`, { headers: { "If-None-Match": one.headers.get("ETag")! } });
    expect(notModified.status).toBe(304);
    expect(check("GET", `/api/games/${game.id}`, notModified).problems).toEqual([]);
    const missing = await served("/api/games/987654321");
    expect(check("GET", "/api/games/987654321", missing).problems).toEqual([]);
    const unknown = await served("/api/nowhere");
    expect(check("GET", "/api/nowhere", unknown)).toEqual({ label: "GET /api/nowhere", problems: [] });
  });

  it("an undocumented status fails", async () => {
    const page = await served("/api/games?limit=2");
    expect(check("GET", "/api/games", { ...page, status: 206 }).problems).toEqual([expect.stringMatching(/^status 206 is not documented \(documented: 200, 304, 400, 401, 403, 429, 500, 503\)$/)]);
    // A 404 where getGame's document has one, but not on the list.
    const missing = await served("/api/games/987654321");
    expect(check("GET", "/api/games", missing).problems).toEqual([expect.stringMatching(/^status 404 is not documented/)]);
  });

  it("a body that does not match the operation's schema fails, $refs resolved (Game from components, in an array)", async () => {
    const page = await served("/api/games?limit=2");
    const games = JSON.parse(page.body) as Record<string, unknown>[];
    expect(games.length).toBeGreaterThan(0);
    const withoutName = games.map(({ name: _n, ...rest }) => rest);
    expect(check("GET", "/api/games", { ...page, body: JSON.stringify(withoutName) }).problems).toContainEqual(expect.stringMatching(/^body\/0 must have required property 'name'/));
    const idAsText = games.map((g) => ({ ...g, id: String(g.id) }));
    expect(check("GET", "/api/games", { ...page, body: JSON.stringify(idAsText) }).problems).toContainEqual(expect.stringMatching(/^body\/0\/id must be integer/));
    const badPlatform = games.map((g) => ({ ...g, platform: "windows" }));
    expect(check("GET", "/api/games", { ...page, body: JSON.stringify(badPlatform) }).problems).toContainEqual(expect.stringMatching(/^body\/0\/platform must be equal to one of the allowed values/));
    const badDate = games.map((g) => ({ ...g, createdAt: "yesterday" }));
    expect(check("GET", "/api/games", { ...page, body: JSON.stringify(badDate) }).problems).toContainEqual(expect.stringMatching(/^body\/0\/createdAt must match format "date-time"/));
    expect(check("GET", "/api/games", { ...page, body: "[{" }).problems).toEqual([expect.stringMatching(/^the body is not JSON/)]);
  });

  it("a problem body that is not a Problem, or whose status is not the response's, fails", async () => {
    const missing = await served("/api/games/987654321");
    const problem = JSON.parse(missing.body) as Record<string, unknown>;
    const { title: _t, ...untitled } = problem;
    expect(check("GET", "/api/games/1", { ...missing, body: JSON.stringify(untitled) }).problems).toEqual([expect.stringMatching(/^body must have required property 'title'/)]);
    expect(check("GET", "/api/games/1", { ...missing, body: JSON.stringify({ ...problem, status: 400 }) }).problems).toEqual([
      "the problem says status 400, the response is 404",
    ]);
  });

  it("a Content-Type the document does not list fails", async () => {
    const one = await served(`/api/games/${game.id}`);
    const headers = new Headers(one.headers);
    headers.set("Content-Type", "text/plain; charset=UTF-8");
    expect(check("GET", `/api/games/${game.id}`, { ...one, headers }).problems).toEqual([
      "Content-Type text/plain; charset=UTF-8 is not documented (documented: application/json)",
    ]);
    const missing = await served("/api/games/987654321");
    const asJson = new Headers(missing.headers);
    asJson.set("Content-Type", "application/json");
    expect(check("GET", "/api/games/1", { ...missing, headers: asJson }).problems).toEqual([expect.stringMatching(/^Content-Type application\/json is not documented \(documented: application\/problem\+json\)/)]);
  });

  it("a required header missing, or a documented header out of its schema, fails", async () => {
    const page = await served("/api/games?limit=2");
    const withoutTotal = new Headers(page.headers);
    withoutTotal.delete("X-Total-Count");
    expect(check("GET", "/api/games", { ...page, headers: withoutTotal }).problems).toEqual(["the required header X-Total-Count is missing"]);
    const oddCache = new Headers(page.headers);
    oddCache.set("X-Cache", "MAYBE");
    expect(check("GET", "/api/games", { ...page, headers: oddCache }).problems).toEqual([expect.stringMatching(/^header X-Cache must be equal to one of the allowed values/)]);
    const textTotal = new Headers(page.headers);
    textTotal.set("X-Total-Count", "many");
    expect(check("GET", "/api/games", { ...page, headers: textTotal }).problems).toEqual([expect.stringMatching(/^header X-Total-Count must be integer/)]);
    const missing = await served("/api/games/987654321", { headers: { Authorization: "Bearer nope" } });
    expect(missing.status).toBe(401);
    const noChallenge = new Headers(missing.headers);
    noChallenge.delete("WWW-Authenticate");
    expect(check("GET", "/api/games/1", { ...missing, headers: noChallenge }).problems).toEqual(["the required header WWW-Authenticate is missing"]);
  });

  it("a 304 with a body, or a success on a route the document does not have, fails", async () => {
    const one = await served(`/api/games/${game.id}`);
    expect(check("GET", `/api/games/${game.id}`, { ...one, status: 304 }).problems).toEqual(["a 304 response with a body"]);
    expect(check("GET", "/api/secret", one).problems).toEqual([expect.stringMatching(/^no operation in the document answers this, and 200 is not a 4xx problem$/), expect.stringMatching(/^Content-Type/)]);
  });

  it("wired into every test's client: a tampered answer fails the call that received it, with what is wrong", async () => {
    const tampering = (rewrite: (res: Response) => Promise<Response>) =>
      apiClient({
        runtime: "tampered",
        origin: ORIGIN,
        adminKey: env.ADMIN_API_KEY,
        fetch: async (request) => rewrite(await SELF.fetch(request)),
        documentFetch: (request) => SELF.fetch(request),
      });
    const renamed = tampering(async (res) => {
      const games = ((await res.json()) as Record<string, unknown>[]).map(({ name, ...rest }) => ({ ...rest, title: name }));
      return new Response(JSON.stringify(games), { status: res.status, headers: res.headers });
    });
    const failure = await renamed.call("/api/games?limit=1").then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UndocumentedResponseError);
    expect(String((failure as Error).message)).toMatch(/^tampered: GET \/api\/games\?limit=1 → 200, which the OpenAPI document \(GET \/api\/games \(listGames\)\) does not describe:\n {2}- body\/0 must have required property 'name'/);

    const teapot = tampering(async (res) => new Response(res.body, { status: 418, headers: res.headers }));
    await expect(teapot.callJson("/api/games?limit=1", 418)).rejects.toThrow(/status 418 is not documented/);
    // An untampered client through the same path passes.
    const honest = tampering(async (res) => res);
    expect((await honest.callJson("/api/games?limit=1", 200)).body).toHaveLength(1);
  });
});
