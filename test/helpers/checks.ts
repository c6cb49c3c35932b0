import { env } from "cloudflare:test";
import { waitFor } from "../support/wait";
import { sha256Hex } from "../../src/core/digest";
import { displayPrefix, generateApiKey } from "../../src/core/domain/key-format";

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

export async function countRows(table: "games" | "api_keys"): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
  return row!.n;
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
