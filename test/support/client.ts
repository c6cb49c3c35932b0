// The API client of every HTTP test — the Workers tests (test/helpers/api.ts) and the contract
// suite that runs against both runtimes (test/contract/): requests with the bootstrap admin key
// by default, a client address of the client's own, JSON in and out. Runtime-neutral: it only
// knows the target's `fetch`.
import { expect } from "vitest";
import { createGameDbClient, ok, type components, type GameInput } from "../../clients/typescript/src/index";
import { documentedFetch } from "./openapi-responses";

export interface ApiTarget {
  /** Shown in test names and failures: `workers`, `deno`. */
  runtime: string;
  /** Sends one request to the server (`SELF.fetch`, the Worker's handler, or fetch over a socket). */
  fetch(request: Request): Promise<Response>;
  /** Origin the server is reached at, e.g. `http://127.0.0.1:8788`. */
  origin: string;
  /** The server's ADMIN_API_KEY. */
  adminKey: string;
  /**
   * Reads `GET /openapi.json`, the document every response is checked against
   * (test/support/openapi-responses.ts); defaults to `fetch`. A target whose server is broken on
   * purpose (e.g. misconfigured) reads it from a healthy one.
   */
  documentFetch?(request: Request): Promise<Response>;
}

export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer`; `null` sends no key. Defaults to the bootstrap admin key. */
  key?: string | null;
  /** JSON-encoded, with `Content-Type: application/json`. */
  body?: unknown;
  /** Sent as is (with `contentType` if given). */
  rawBody?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
  /** Client address, sent as CF-Connecting-IP (the Deno runner trusts that header too). */
  ip?: string;
  /** Scheme and host the request is addressed to; defaults to the target's origin. */
  origin?: string;
}

/** A random client address (198.18.0.0/15, the benchmarking range), so per-IP limits of one test never touch another's. */
export function randomIp(): string {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  return `198.${18 + Math.floor(Math.random() * 2)}.${octet()}.${octet()}`;
}

let nextStoreId = 910_000_000 + Math.floor(Math.random() * 80_000_000);
/** A fresh, valid ios store id, so games created by different tests never clash on the natural key. */
export const uniqueIosStoreId = () => String(nextStoreId++);

/** A valid game body (a fresh ios store id each time). */
export const sampleGame = (overrides: Record<string, unknown> = {}) => ({
  publisherId: "1500945164",
  name: "Rocket League Sideswipe",
  platform: "ios",
  storeId: uniqueIosStoreId(),
  bundleId: "com.psyonixllc.mesa",
  appVersion: "1.0.3",
  isPublished: true,
  ...overrides,
});

export type ApiClient = ReturnType<typeof apiClient>;

/**
 * Request helpers bound to one target; every call comes from one client address unless it names
 * its own. Every response is checked against the OpenAPI document the target serves (`fetch`
 * below): one the document does not describe fails the test.
 */
export function apiClient(target: ApiTarget) {
  const clientIp = randomIp();
  const fetch = documentedFetch(target, randomIp);

  function request(path: string, options: CallOptions = {}): Request {
    const headers = new Headers(options.headers);
    const key = options.key === undefined ? target.adminKey : options.key;
    if (key !== null) headers.set("Authorization", `Bearer ${key}`);
    headers.set("CF-Connecting-IP", options.ip ?? clientIp);
    let body: BodyInit | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers.set("Content-Type", "application/json");
    }
    if (options.contentType) headers.set("Content-Type", options.contentType);
    const init: RequestInit & { duplex?: "half" } = { method: options.method ?? (body !== undefined ? "POST" : "GET"), headers, body };
    if (body instanceof ReadableStream) init.duplex = "half";
    return new Request(`${options.origin ?? target.origin}${path}`, init);
  }

  const call = (path: string, options: CallOptions = {}) => fetch(request(path, options));

  /**
   * The repository's typed client (clients/typescript) with the admin key, from this client's
   * address, its responses checked like every other.
   */
  const gameDb = createGameDbClient({
    baseUrl: target.origin,
    apiKey: target.adminKey,
    fetch: (sent) => {
      // A target may learn its origin after this client is made (the Deno server's port).
      const url = new URL(sent.url);
      const req = url.origin === target.origin ? sent : new Request(`${target.origin}${url.pathname}${url.search}`, sent);
      if (!req.headers.has("CF-Connecting-IP")) req.headers.set("CF-Connecting-IP", clientIp);
      return fetch(req);
    },
  });

  /** Calls and parses JSON, failing loudly with the body when the status is not the expected one. */
  async function callJson<T = any>(path: string, expectedStatus: number, options: CallOptions = {}) {
    const res = await call(path, options);
    const text = await res.text();
    if (res.status !== expectedStatus) {
      throw new Error(`${target.runtime}: ${options.method ?? "GET"} ${path}: expected ${expectedStatus}, got ${res.status}: ${text.slice(0, 500)}`);
    }
    return { res, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Creates an API key with the given scopes through the API. */
  async function createKey(scopes: string[], name = "test-key"): Promise<{ id: number; key: string; prefix: string }> {
    return (await ok(gameDb.POST("/api/keys", { body: { name, scopes: scopes as components["schemas"]["ApiKeyInput"]["scopes"] } }))).data;
  }

  /** Creates a game through the API (201 expected) and returns its JSON. */
  async function createGame(overrides: Record<string, unknown> = {}): Promise<any> {
    const { data, response } = await ok(gameDb.POST("/api/games", { body: sampleGame(overrides) as GameInput }));
    expect(response.status).toBe(201);
    return data;
  }

  /**
   * The next-page path from `Link: <…>; rel="next"`; null when absent. The target must be a path
   * relative to the request's origin: a cached page is served to callers of every host name.
   */
  function nextLink(res: Response): string | null {
    const link = res.headers.get("Link");
    if (!link) return null;
    const match = link.match(/<([^>]+)>\s*;\s*rel="next"/);
    if (!match) throw new Error(`Link header without rel="next": ${link}`);
    expect(match[1]).toMatch(/^\/api\//);
    const url = new URL(match[1]!, target.origin);
    return `${url.pathname}${url.search}`;
  }

  /** Follows `Link rel="next"` from `path` to the end; every page must be a 200. */
  async function walk(path: string, options: CallOptions = {}, maxPages = 1000) {
    const pages: { path: string; total: string | null; ids: number[] }[] = [];
    let current: string | null = path;
    while (current) {
      if (pages.length >= maxPages) throw new Error(`more than ${maxPages} pages from ${path}`);
      const { res, body } = await callJson<{ id: number }[]>(current, 200, options);
      pages.push({ path: current, total: res.headers.get("X-Total-Count"), ids: body.map((g) => g.id) });
      current = nextLink(res);
    }
    return pages;
  }

  return { request, fetch, call, callJson, gameDb, createKey, createGame, nextLink, walk };
}
