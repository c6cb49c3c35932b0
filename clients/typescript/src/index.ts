// The Game DB API's TypeScript client: openapi-fetch over the types openapi-typescript generates
// from the API's OpenAPI document (./openapi.d.ts), plus what every caller needs on top: the API
// key on each request, a typed error for RFC 9457 problems, and pages that follow `Link`.
// Runs wherever fetch does (browsers, Workers, Deno, Node ≥ 18).
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./openapi";

export type { components, operations, paths, Middleware };
export type Problem = components["schemas"]["Problem"];
export type Game = components["schemas"]["Game"];
export type GameInput = components["schemas"]["GameInput"];
export type GamePatch = components["schemas"]["GamePatch"];
export type ApiKey = components["schemas"]["ApiKey"];
export type IngestRun = components["schemas"]["IngestRun"];
export type IngestFile = components["schemas"]["IngestFile"];

export interface GameDbClientOptions {
  /** Where the API is, e.g. `https://game-db.example.workers.dev` (an origin). */
  baseUrl: string;
  /** The API key, or a function that returns the current one (asked on every request); none: no `Authorization`. */
  apiKey?: string | (() => string | null | undefined);
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to send requests with (a test server's, a Worker's service binding…); defaults to `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
}

/** The typed client: `GET`, `POST`, `PUT`, `PATCH`, `DELETE` by path, and `use()` for middleware. */
export type GameDbClient = Client<paths, "application/json">;

/**
 * A client for the API. Every call resolves to `{ data, error, response }` (openapi-fetch):
 * `data` on success, `error` (the problem) otherwise, and the `Response` for its headers. Wrap a
 * call in `ok()` to get the data or a thrown `ProblemError`. Per request, pass `headers` (e.g.
 * `If-Match`) and `signal`; for every request, add middleware with `client.use()`.
 */
export function createGameDbClient(options: GameDbClientOptions): GameDbClient {
  const client = createClient<paths, "application/json">({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const { apiKey } = options;
  if (apiKey !== undefined) {
    client.use({
      onRequest({ request }) {
        const key = typeof apiKey === "function" ? apiKey() : apiKey;
        // A call that names its own key (Authorization or X-API-Key) keeps it.
        if (key && !request.headers.has("Authorization") && !request.headers.has("X-API-Key")) request.headers.set("Authorization", `Bearer ${key}`);
        return request;
      },
    });
  }
  return client;
}

/** A response the API answered with a problem (RFC 9457 `application/problem+json`), or any non-2xx. */
export class ProblemError extends Error {
  override name = "ProblemError";
  readonly status: number;

  constructor(
    readonly problem: Problem,
    readonly response: Response,
  ) {
    super(problem.detail || problem.title);
    this.status = response.status;
  }

  /** The last segment of `problem.type`: `validation`, `not-found`, `rate-limited`… */
  get code(): string {
    return this.problem.type.replace(/^.*[:/]/, "");
  }

  /** Seconds to wait, from `Retry-After` (429, some 503s); null when absent. */
  get retryAfter(): number | null {
    const seconds = Number(this.response.headers.get("Retry-After"));
    return this.response.headers.has("Retry-After") && Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
  }
}

/** The problem a response's error body is, or one made from its status when it is not a problem. */
function asProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === "object" && "type" in error && "title" in error && "status" in error) return error as Problem;
  return {
    type: "about:blank",
    title: response.statusText || "Request failed",
    status: response.status,
    detail: `The API answered ${response.status}`,
    instance: new URL(response.url || "http://unknown/").pathname,
    requestId: response.headers.get("X-Request-Id") ?? "",
  };
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call (and its response, for headers), or a thrown ProblemError. */
export async function ok<T>(call: Promise<Result<T>>): Promise<{ data: T; response: Response }> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ProblemError(asProblem(error, response), response);
  return { data: data as T, response };
}

/** The `rel="next"` target of an RFC 8288 `Link` header, resolved against the URL of the response; null on the last page. */
export function nextPageUrl(response: Response, base: string): URL | null {
  const link = response.headers.get("Link");
  if (!link) return null;
  for (const part of link.split(",")) {
    const match = part.match(/<([^>]*)>\s*;(.*)$/);
    if (match && /\brel="?next"?(\s|;|$)/.test(match[2]!)) return new URL(match[1]!, response.url || base);
  }
  return null;
}

/** The list operations, whose pages link to the next one. */
export type PagedPath = "/api/games" | "/api/games/search" | "/api/ingest/runs" | "/api/ingest/files";
type PageOf<P extends PagedPath> = paths[P]["get"]["responses"][200]["content"]["application/json"];
type QueryOf<P extends PagedPath> = NonNullable<paths[P]["get"]["parameters"]["query"]>;

export interface PageOptions {
  /** Stops after this many pages (a guard against a walk that would never end); default 10,000. */
  maxPages?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/**
 * Every page of a list, first to last, following `Link: <…>; rel="next"` (the link carries the
 * filters and the position, so `query` is sent with the first request only).
 */
export async function* pages<P extends PagedPath>(
  client: GameDbClient,
  path: P,
  query?: QueryOf<P>,
  options: PageOptions = {},
): AsyncGenerator<{ data: PageOf<P>; response: Response }> {
  const maxPages = options.maxPages ?? 10_000;
  const init = { ...(options.signal ? { signal: options.signal } : {}), ...(options.headers ? { headers: options.headers } : {}) };
  // openapi-fetch's overloads are per path; the list paths share the shape used here.
  const get = client.GET as unknown as (url: string, init: object) => Promise<Result<PageOf<P>>>;
  let page = await ok(get(path, { ...init, params: { query } }));
  for (let count = 1; ; count++) {
    yield page;
    const next = nextPageUrl(page.response, "http://base.invalid/");
    if (!next) return;
    if (count >= maxPages) throw new Error(`more than ${maxPages} pages of ${path}`);
    // The link is relative to the response's URL: same host, so only its path and query matter.
    page = await ok(get(`${next.pathname}${next.search}`, init));
  }
}

/** Every item of a list, across its pages (see `pages`). */
export async function all<P extends PagedPath>(client: GameDbClient, path: P, query?: QueryOf<P>, options: PageOptions = {}): Promise<PageOf<P>> {
  const items: PageOf<P>[number][] = [];
  for await (const page of pages(client, path, query, options)) items.push(...page.data);
  return items as PageOf<P>;
}
