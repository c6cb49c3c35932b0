// The HTTP contract of the API, written once and run against every runtime: the Worker (through
// `SELF.fetch` in workerd, test/contract/workers-*.test.ts) and the Deno server (over real HTTP,
// test/node/deno-*.test.ts). Nothing here knows which runtime answers: cases only use the
// target's `fetch`, its origin and the bootstrap admin key — no database or KV access.
import { expect } from "vitest";
export { expectProblem, type Problem } from "../helpers/problem";

export interface ContractTarget {
  /** Shown in test names. */
  runtime: string;
  /** Sends one request to the server (`SELF.fetch`, or the global fetch over a socket). */
  fetch(request: Request): Promise<Response>;
  /** Origin the server is reached at, e.g. `http://127.0.0.1:8788`. */
  origin: string;
  /** The server's ADMIN_API_KEY. */
  adminKey: string;
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
}


export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A random client address, so per-IP limits of one test never touch another's. */
export function randomIp(): string {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  return `198.18.${octet()}.${octet()}`;
}

/** A random tag of letters, so names a case creates are found by no other case's search. */
export function uniqueTag(): string {
  const letters = "bcdfghjklmnpqrstvwxz";
  return "Q" + Array.from({ length: 7 }, () => letters[Math.floor(Math.random() * letters.length)]).join("");
}

let nextStoreId = 910_000_000 + Math.floor(Math.random() * 80_000_000);
/** A fresh, valid ios store id. */
export const uniqueIosStoreId = () => String(nextStoreId++);

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

/** Polls `probe` until `accept` holds; fails with the last value after the deadline. No fixed sleeps. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 50, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}


export type Client = ReturnType<typeof contractClient>;

/** Request helpers bound to one target. */
export function contractClient(target: ContractTarget) {
  /** One client address per suite unless a call names its own. */
  const suiteIp = randomIp();

  function request(path: string, options: CallOptions = {}): Request {
    const headers = new Headers(options.headers);
    const key = options.key === undefined ? target.adminKey : options.key;
    if (key !== null) headers.set("Authorization", `Bearer ${key}`);
    headers.set("CF-Connecting-IP", options.ip ?? suiteIp);
    let body: BodyInit | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers.set("Content-Type", "application/json");
    }
    if (options.contentType) headers.set("Content-Type", options.contentType);
    const init: RequestInit & { duplex?: "half" } = { method: options.method ?? (body !== undefined ? "POST" : "GET"), headers, body };
    if (body instanceof ReadableStream) init.duplex = "half";
    return new Request(`${target.origin}${path}`, init);
  }

  const call = (path: string, options: CallOptions = {}) => target.fetch(request(path, options));

  /** Calls and parses JSON, failing loudly with the body when the status is not the expected one. */
  async function callJson<T = any>(path: string, expectedStatus: number, options: CallOptions = {}) {
    const res = await call(path, options);
    const text = await res.text();
    if (res.status !== expectedStatus) {
      throw new Error(`${target.runtime}: ${options.method ?? "GET"} ${path}: expected ${expectedStatus}, got ${res.status}: ${text.slice(0, 500)}`);
    }
    return { res, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function createKey(scopes: string[], name = "contract-key"): Promise<{ id: number; key: string; prefix: string }> {
    return (await callJson("/api/keys", 201, { body: { name, scopes } })).body;
  }

  async function createGame(overrides: Record<string, unknown> = {}): Promise<any> {
    return (await callJson("/api/games", 201, { body: sampleGame(overrides) })).body;
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
  async function walk(path: string, options: CallOptions = {}, maxPages = 200) {
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

  return { call, callJson, createKey, createGame, nextLink, walk, request };
}
