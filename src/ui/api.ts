// The web UI's access to the Game DB API, same origin, through the repository's typed client
// (clients/typescript: openapi-fetch over the types generated from the OpenAPI document). Every
// /api call carries the key from sessionStorage; failures become ApiError with the problem+json
// body, so views can show the API's own messages (and field errors next to their fields).
import { createGameDbClient, type GameDbClient, type Middleware } from "../../clients/typescript/src/index";
import { missingScope } from "./format";
import { loadKey } from "./session";
import type { Problem } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    /** Seconds, from Retry-After (429). */
    readonly retryAfter: number | null = null,
  ) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
  }
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

/** Announced to the app shell when the key is rejected, so it can offer to enter another. */
export const authEvents = new EventTarget();

/**
 * How the UI's requests are sent: always revalidated (the API answers 304 from its ETag, and the
 * browser never shows a page of data it has not checked), never with cookies.
 */
const BROWSER_INIT = { cache: "no-cache", credentials: "omit" } as const satisfies RequestInit;

/** The API with the key the user entered (read on every request: it can be changed or forgotten). */
export const gameDb: GameDbClient = createGameDbClient({
  baseUrl: location.origin,
  apiKey: loadKey,
  headers: { Accept: "application/json, application/problem+json" },
});

/**
 * Read-after-write from any location: the API answers every write with the bookmark of its
 * database session (`X-D1-Bookmark`), and a request that sends it back reads data at least that
 * fresh, even from a read replica that is behind. The tab keeps the bookmark of its last write
 * (in sessionStorage, so a reload right after a save still sees it) and sends it with every
 * keyed request that follows.
 */
const BOOKMARK_HEADER = "X-D1-Bookmark";
const BOOKMARK_STORAGE = "game-db.write-bookmark";

function storedBookmark(): string | null {
  try {
    return sessionStorage.getItem(BOOKMARK_STORAGE);
  } catch {
    return null;
  }
}

gameDb.use({
  onRequest({ request }) {
    const bookmark = storedBookmark();
    if (bookmark) request.headers.set(BOOKMARK_HEADER, bookmark);
    return request;
  },
  onResponse({ request, response }) {
    const written = response.ok && !["GET", "HEAD"].includes(request.method) ? response.headers.get(BOOKMARK_HEADER) : null;
    // Bookmarks sort oldest to newest: keep the newest (responses to concurrent writes arrive in any order).
    if (written && written > (storedBookmark() ?? "")) {
      try {
        sessionStorage.setItem(BOOKMARK_STORAGE, written);
      } catch {
        // Storage disabled: reads are then only as fresh as the nearest replica, as without the header.
      }
    }
    return response;
  },
});

/** The API without a key (/health). */
const publicApi: GameDbClient = createGameDbClient({ baseUrl: location.origin, headers: { Accept: "application/json, application/problem+json" } });

/** Adds a middleware to every request the UI sends, with or without a key (e.g. a header every call carries). */
export function useMiddleware(middleware: Middleware): void {
  gameDb.use(middleware);
  publicApi.use(middleware);
}

export interface CallOptions {
  /** Statuses besides 2xx whose body is the answer, not a problem (/health answers 503 with its report). */
  okStatuses?: number[];
  /** No key: a 401 is then not the user's key being refused. */
  anonymous?: boolean;
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Sends one typed request (`send` gets the client and the browser's fetch options) and returns
 * its data with the response's status and headers; a failure throws ApiError.
 */
export async function call<T>(send: (client: GameDbClient, init: typeof BROWSER_INIT) => Promise<Result<T>>, options: CallOptions = {}): Promise<ApiResponse<T>> {
  let result: Result<T>;
  try {
    result = await send(options.anonymous ? publicApi : gameDb, BROWSER_INIT);
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, { type: "about:blank", title: "Network error", status: 0, detail: "The API could not be reached. Check your connection and try again." });
  }
  const { data, error, response: res } = result;
  if (!res.ok && !options.okStatuses?.includes(res.status)) {
    const problem: Problem =
      error && typeof error === "object" && "title" in error
        ? (error as Problem)
        : { type: "about:blank", title: res.statusText || "Request failed", status: res.status, detail: `The API answered ${res.status}` };
    const retryAfter = Number(res.headers.get("Retry-After"));
    const failure = new ApiError(res.status, problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
    if (res.status === 401 && !options.anonymous) authEvents.dispatchEvent(new CustomEvent("unauthorized", { detail: failure }));
    throw failure;
  }
  return { data: (res.ok ? data : error) as T, status: res.status, headers: res.headers };
}

export interface RequestOptions extends CallOptions {
  signal?: AbortSignal;
}

/**
 * A GET of a path the UI built (a page of a list, as the URL of the view says): the same client
 * and errors as `call`, typed by the caller.
 */
export function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  // The path carries its own query string (from the view's URL or a Link header), which the
  // typed methods would take apart: sent as it is.
  const get = (client: GameDbClient) => client.GET as unknown as (url: string, init: RequestInit) => Promise<Result<T>>;
  return call((client, init) => get(client)(path, { ...init, ...(options.signal ? { signal: options.signal } : {}) }), options);
}

/** The `rel="next"` target of an RFC 8288 Link header, as a same-origin path. */
export function nextLink(headers: Headers): string | null {
  const link = headers.get("Link");
  if (!link) return null;
  for (const part of link.split(",")) {
    const match = part.match(/<([^>]*)>\s*;(.*)$/);
    if (match && /\brel="?next"?/.test(match[2]!)) {
      const url = new URL(match[1]!, location.origin);
      return url.origin === location.origin ? url.pathname + url.search : null;
    }
  }
  return null;
}

/** X-Total-Count, and whether it is only a lower bound (a name search with more matches than the API counts). */
export function totalCount(headers: Headers): { count: number; atLeast: boolean } | null {
  const value = headers.get("X-Total-Count");
  if (value === null || value === "" || !Number.isFinite(Number(value))) return null;
  return { count: Number(value), atLeast: headers.get("X-Total-Count-Relation") === "gte" };
}

/** A sentence a person can act on, for any failed request. */
export function describeProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const { status, problem } = error;
  if (status === 401) return `The API key was not accepted: ${problem.detail}`;
  if (status === 403) {
    return problem.requiredScope ? missingScope(problem.requiredScope, problem.grantedScopes) : problem.detail;
  }
  if (status === 429) {
    const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : " Try again shortly.";
    return `Too many requests for this key.${wait}`;
  }
  if (status === 412) return "This game was changed (by someone else or by an ingestion) since you opened it. Your edits were not saved: reload the game to see its current values.";
  if (status === 0) return problem.detail;
  const detail = problem.detail && problem.detail !== problem.title ? `: ${problem.detail}` : "";
  return `${problem.title}${detail}`;
}

export const isAbort = (error: unknown) => error instanceof Error && error.name === "AbortError";
