import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../support/limited-worker";
import { ORIGIN } from "./api";
import { sha256Hex } from "../../src/core/digest";
import { displayPrefix, generateApiKey } from "../../src/core/domain/key-format";
export { expectProblem, type Problem } from "./problem";

/**
 * Inserts a key straight into D1, the way the keys service stores it (SHA-256 hex, display
 * prefix, JSON scopes). For tests that must not spend the bootstrap admin key's rate-limit budget.
 */
export async function insertKey(scopes: string[], name = "inserted-key"): Promise<{ id: number; key: string; hash: string }> {
  const key = generateApiKey();
  const hash = await sha256Hex(key);
  const row = await env.DB.prepare(
    "INSERT INTO api_keys (name, prefix, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
  )
    .bind(name, displayPrefix(key), hash, JSON.stringify(scopes), new Date().toISOString())
    .first<{ id: number }>();
  return { id: row!.id, key, hash };
}

/** A random client IP, so per-IP limits of one test never touch another's. */
export function randomIp(): string {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  return `172.${16 + Math.floor(Math.random() * 16)}.${octet()}.${octet()}`;
}

/** Polls `probe` until `accept` holds, failing with the last value after the deadline. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Rate-limit windows are aligned to the wall clock (the limiter and the RateLimit header both
 * use floor(now / period)). A test that needs N requests in one window waits, when the current
 * window is about to roll over, until the next one starts — a wait on the clock, not a sleep.
 */
export async function ensureWindowRoom(periodSeconds: number, neededSeconds: number): Promise<void> {
  const left = () => periodSeconds - ((Date.now() / 1000) % periodSeconds);
  await waitFor(async () => left(), (l) => l >= neededSeconds, {
    timeoutMs: (neededSeconds + 2) * 1000,
    intervalMs: 50,
    what: "the next rate-limit window",
  });
}



export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function countRows(table: "games" | "api_keys"): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
  return row!.n;
}

export interface DrainedCallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer`; `null` sends no key. Defaults to the bootstrap admin key. */
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  ip?: string;
  /** Bindings and vars for this call (e.g. `{ ...env, LOG_LEVEL: "info" }`). */
  env?: Env;
}

/**
 * One request through the Worker's real fetch handler, like `call`, that also waits for the
 * work the request deferred with `ctx.waitUntil` (KV cache fills, last_used_at writes) before
 * returning, so a test can assert on their effects without polling.
 */
export async function callDrained(path: string, options: DrainedCallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? env.ADMIN_API_KEY : options.key;
  if (key !== null) headers.set("Authorization", `Bearer ${key}`);
  headers.set("CF-Connecting-IP", options.ip ?? randomIp());
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("Content-Type", "application/json");
  }
  const request = new Request(`${ORIGIN}${path}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, options.env ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/**
 * Runs `run` with `table` renamed away, so the queries that touch it fail for real inside
 * workerd (a genuine internal error, not a mock), then puts it back.
 */
export async function withTableHidden<T>(table: string, run: () => Promise<T>): Promise<T> {
  await env.DB.exec(`ALTER TABLE ${table} RENAME TO ${table}_hidden`);
  try {
    return await run();
  } finally {
    await env.DB.exec(`ALTER TABLE ${table}_hidden RENAME TO ${table}`);
  }
}
