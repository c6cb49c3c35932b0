import { env } from "cloudflare:test";
import { DATA_VERSION_KEY } from "../../src/core/data/data-version";
import type { GameInput } from "../../src/core/domain/game";
import { isolateDeps } from "../support/limited-env";


/** A game to seed: what a client could POST. */
export type SeedRow = Omit<GameInput, "id" | "createdAt" | "updatedAt">;

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

/**
 * The data version as the Worker under test knows it: stored in KV, and bumped in its isolate but
 * not written yet (bumps are written after the response). A request that bumps it changes one.
 */
export async function dataVersionState(): Promise<{ stored: string | null; pending: string | undefined }> {
  return { stored: await env.CACHE.get(DATA_VERSION_KEY), pending: isolateDeps(env).dataVersion.pending() };
}

/**
 * Every games row and the newest data version (the isolate's pending bump, else the stored one),
 * to prove a rejected request changed nothing. The newest, not the pair: an earlier request's
 * coalesced bump may land in KV meanwhile (pending → stored), which is no change.
 */
export async function snapshot(): Promise<{ rows: unknown[]; version: string | null }> {
  const { results } = await env.DB.prepare("SELECT * FROM games ORDER BY id").all();
  const { stored, pending } = await dataVersionState();
  return { rows: results, version: pending ?? (stored === null ? null : (JSON.parse(stored) as string)) };
}
