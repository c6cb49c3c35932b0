// A small client for the Game DB API, same origin. Every /api call carries the key from
// sessionStorage in the Authorization header; failures become ApiError with the problem+json
// body, so views can show the API's own messages (and field errors next to their fields).
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

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** For /health: no key. */
  anonymous?: boolean;
  /** Extra request headers (e.g. If-Match for a conditional write). */
  headers?: Record<string, string>;
  /** Statuses besides 2xx whose body is the answer, not a problem (/health answers 503 with its report). */
  okStatuses?: number[];
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers, Accept: "application/json, application/problem+json" };
  if (!options.anonymous) {
    const key = loadKey();
    if (key) headers.Authorization = `Bearer ${key}`;
  }
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      // Always revalidate: the API answers 304 from its ETag, and the browser never shows a
      // page of data it has not checked.
      cache: "no-cache",
      credentials: "omit",
      signal: options.signal ?? null,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, { type: "about:blank", title: "Network error", status: 0, detail: "The API could not be reached. Check your connection and try again." });
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok && !options.okStatuses?.includes(res.status)) {
    const problem: Problem =
      body && typeof body === "object" && "title" in body
        ? (body as Problem)
        : { type: "about:blank", title: res.statusText || "Request failed", status: res.status, detail: `The API answered ${res.status}` };
    const retryAfter = Number(res.headers.get("Retry-After"));
    const error = new ApiError(res.status, problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
    if (res.status === 401 && !options.anonymous) authEvents.dispatchEvent(new CustomEvent("unauthorized", { detail: error }));
    throw error;
  }
  return { data: body as T, status: res.status, headers: res.headers };
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
