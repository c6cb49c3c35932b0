import { count } from "drizzle-orm";
import type { Database } from "../data/database";
import { games } from "../data/schema";
import { PLATFORMS, type Platform } from "../domain/game";
import { createLedgerReads } from "../data/ledger-reads";

export interface Stats {
  games: { total: number; byPlatform: Record<Platform, number> };
  lastIngestionAt: string | null;
}

/** Game counts per platform and the time of the last successful ingestion (two concurrent queries). */
export async function collectStats(db: Database): Promise<Stats> {
  const [perPlatform, lastIngestionAt] = await Promise.all([
    db.select({ platform: games.platform, n: count() }).from(games).groupBy(games.platform),
    createLedgerReads(db).lastSuccessAt(),
  ]);
  const byPlatform = Object.fromEntries(PLATFORMS.map((p) => [p, 0])) as Record<Platform, number>;
  for (const row of perPlatform) byPlatform[row.platform] = row.n;
  return {
    games: { total: Object.values(byPlatform).reduce((a, b) => a + b, 0), byPlatform },
    lastIngestionAt,
  };
}

/** Seconds since `iso`, or null. */
export const ageSeconds = (iso: string | null, now: Date): number | null =>
  iso === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
