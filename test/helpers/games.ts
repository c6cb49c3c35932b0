import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import { isolateDeps } from "../support/limited-env";
import worker from "../support/limited-worker";
import { call, callJson, ORIGIN, sampleGame, type CallOptions } from "./api";

/** The KV key holding the data version (src/core/data/data-version.ts). */
export const DATA_VERSION_KEY = "meta:data-version";

export interface SeedRow {
  platform: "ios" | "android";
  storeId: string;
  name: string;
  publisherId?: string | null;
  publisherName?: string | null;
  bundleId?: string | null;
  appVersion?: string | null;
  isPublished?: boolean;
  iconUrl?: string | null;
  rank?: number | null;
}

const INSERT_SQL =
  "INSERT INTO games (platform, store_id, bundle_id, name, publisher_id, publisher_name, app_version, is_published, icon_url, rank, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/**
 * Inserts rows straight into D1 (one statement per row, all in one atomic batch) and returns
 * their ids in insertion order. This bypasses the API and therefore the data-version bump:
 * seed before the first read of a file, or bump the version yourself.
 */
export async function seedRows(rows: SeedRow[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const now = new Date().toISOString();
  const statements = rows.map((r) =>
    env.DB.prepare(INSERT_SQL).bind(
      r.platform,
      r.storeId,
      r.bundleId ?? null,
      r.name,
      r.publisherId ?? null,
      r.publisherName ?? null,
      r.appVersion ?? null,
      r.isPublished ? 1 : 0,
      r.iconUrl ?? null,
      r.rank ?? null,
      now,
      now,
    ),
  );
  const results = await env.DB.batch(statements);
  return results.map((result) => Number(result.meta.last_row_id));
}

/** `count` generated games: even indexes ios (numeric store id), odd indexes android. */
export function generatedRows(count: number, prefix = "Seed"): SeedRow[] {
  return Array.from({ length: count }, (_, i): SeedRow =>
    i % 2 === 0
      ? { platform: "ios", storeId: String(100_000 + i), name: `${prefix} Game ${i}` }
      : { platform: "android", storeId: `com.seed.${prefix.toLowerCase()}.g${i}`, name: `${prefix} Game ${i}` },
  );
}

/** Creates a game through the API (201 expected) and returns its JSON. */
export async function createGame(overrides: Record<string, unknown> = {}): Promise<any> {
  const { body } = await callJson("/api/games", 201, { body: sampleGame(overrides) });
  return body;
}

let nextStoreId = 900_000_000;
/** A fresh, valid ios store id, so tests in one file never clash on the natural key. */
export const uniqueIosStoreId = () => String(nextStoreId++);

/**
 * The data version as the Worker under test knows it: stored in KV, and bumped in its isolate but
 * not written yet (bumps are written after the response). A request that bumps it changes one.
 */
export async function dataVersionState(): Promise<{ stored: string | null; pending: string | undefined }> {
  return { stored: await env.CACHE.get(DATA_VERSION_KEY), pending: isolateDeps(env).dataVersion.pending() };
}

/** Every games row and the data version, to prove a rejected request changed nothing. */
export async function snapshot(): Promise<{ rows: unknown[]; version: Awaited<ReturnType<typeof dataVersionState>> }> {
  const { results } = await env.DB.prepare("SELECT * FROM games ORDER BY id").all();
  return { rows: results, version: await dataVersionState() };
}

/** The next-page path from a `Link: <…>; rel="next"` header, which must be relative; null when absent. */
export function nextLink(res: Response): string | null {
  const link = res.headers.get("Link");
  if (!link) return null;
  const match = link.match(/<([^>]+)>\s*;\s*rel="next"/);
  if (!match) throw new Error(`Link header without rel="next": ${link}`);
  expect(match[1]).toMatch(/^\/api\//);
  const url = new URL(match[1]!, ORIGIN);
  return `${url.pathname}${url.search}`;
}

export interface WalkedPage {
  path: string;
  status: number;
  total: string | null;
  ids: number[];
}

/** Follows `Link rel="next"` from `path` until it is absent; every page must be a 200. */
export async function walk(path: string, options: CallOptions = {}, maxPages = 1000): Promise<WalkedPage[]> {
  const pages: WalkedPage[] = [];
  let current: string | null = path;
  while (current) {
    if (pages.length >= maxPages) throw new Error(`more than ${maxPages} pages from ${path}`);
    const { res, body } = await callJson<{ id: number }[]>(current, 200, options);
    pages.push({ path: current, status: res.status, total: res.headers.get("X-Total-Count"), ids: body.map((g) => g.id) });
    current = nextLink(res);
  }
  return pages;
}

/** Asserts a 400 problem+json and returns its body. */
export async function expectProblem(res: Response, status = 400): Promise<any> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body.status).toBe(status);
  return body;
}

/**
 * Like `call`, but through the Worker's fetch handler with an execution context of our own, and
 * waits for everything it deferred (`waitUntil`: cache fills) before returning. `SELF.fetch`
 * does not wait for them, so a follow-up request could otherwise race the cache write.
 */
export async function callSettled(path: string, options: CallOptions & { env?: Env } = {}): Promise<Settled> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? env.ADMIN_API_KEY : options.key;
  if (key !== null) headers.set("Authorization", `Bearer ${key}`);
  headers.set("CF-Connecting-IP", options.ip ?? "10.250.0.1");
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("Content-Type", "application/json");
  }
  if (options.contentType) headers.set("Content-Type", options.contentType);
  const request = new Request(`${options.origin ?? ORIGIN}${path}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], options.env ?? env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, headers: res.headers, text };
}

/** A response read to the end: its status, headers and body text (empty when there is none). */
export interface Settled {
  status: number;
  headers: Headers;
  text: string;
}

export { call, callJson, sampleGame };
