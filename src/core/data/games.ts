import { and, asc, count, eq, gt, isNull, sql, type SQL } from "drizzle-orm";
import type { Database } from "./database";
import type { Game, Platform } from "../domain/game";
import { MAX_COUNTED_MATCHES, type Page, type Total } from "../domain/page";
import type { SameShape } from "../domain/same-shape";
import { games, type GameRow, type NewGameRow } from "./schema";

export interface GameFilter {
  platform?: Platform | undefined;
  /** Case-insensitive substring of the name; `%` and `_` match themselves. */
  name?: string | undefined;
}

export interface GamePage {
  rows: GameRow[];
  hasMore: boolean;
  total: Total;
}

/** Columns of `games` that stay internal: the provenance of the ingested fields. */
type InternalColumns = "sourceKey" | "sourceAt" | "sourceFileId";
// A stored game is the domain's Game plus internal columns: if either side changes, this stops compiling.
const _sameShape: SameShape<Game, Omit<GameRow, InternalColumns>> = true;
void _sameShape;

/** The API view of a stored game. */
export function toGame(row: GameRow): Game {
  const { sourceKey: _sourceKey, sourceAt: _sourceAt, sourceFileId: _sourceFileId, ...game } = row;
  return game;
}

/** The trigram index needs 3 characters; shorter terms fall back to a GLOB scan. */
const TRIGRAM_LENGTH = 3;

/** An FTS5 phrase: the term between double quotes (doubled inside), so no FTS syntax applies. */
const ftsPhrase = (term: string) => `"${term.replaceAll('"', '""')}"`;

/**
 * One character of a GLOB pattern that matches it in any case, literally: `[eE]`, `[éÉ]`, `[*]`.
 * GLOB rather than LIKE because SQLite's LIKE folds ASCII case only, so `É` would not find
 * "Pokémon" while the (Unicode-folding) trigram index finds it for `KÉM`.
 */
function globChar(ch: string): string {
  const variants = [...new Set([ch, ch.toLowerCase(), ch.toUpperCase()])].filter((v) => [...v].length === 1);
  if (variants.length > 1) return `[${variants.join("")}]`;
  return ch === "*" || ch === "?" || ch === "[" ? `[${ch}]` : ch;
}
const globContains = (term: string) => `*${[...term].map(globChar).join("")}*`;

const usesTrigramIndex = (term: string) => [...term].length >= TRIGRAM_LENGTH;

function nameContains(term: string): SQL {
  if (usesTrigramIndex(term)) {
    return sql`${games.id} IN (SELECT rowid FROM games_fts WHERE games_fts MATCH ${ftsPhrase(term)})`;
  }
  return sql`${games.name} GLOB ${globContains(term)}`;
}

function whereFilter(filter: GameFilter): SQL | undefined {
  return and(
    filter.platform ? eq(games.platform, filter.platform) : undefined,
    filter.name ? nameContains(filter.name) : undefined,
  );
}

/**
 * Column values a conditional write expects to find. Put in the statement's WHERE, so the check
 * and the write are one atomic step: a row another writer changed in between is not written.
 */
export type ExpectedColumns = Partial<Omit<GameRow, "id">>;

function whereCurrent(id: number, expected: ExpectedColumns): SQL | undefined {
  const conditions = Object.entries(expected).map(([property, value]) => {
    const column = games[property as keyof ExpectedColumns];
    return value === null ? isNull(column) : eq(column, value);
  });
  return and(eq(games.id, id), ...conditions);
}

/**
 * The statement counting a filter's rows: exact for a list; for a name search, the matches up to
 * one past MAX_COUNTED_MATCHES. A name-only search counts on the FTS index alone: joining every
 * match back to `games` (one primary-key lookup each) only to count them made large searches 5x
 * slower at 100,000 games (docs/BENCHMARKS.md). The index is exact: triggers keep it in sync.
 */
function totalQuery(db: Database, filter: GameFilter, where: SQL | undefined) {
  if (!filter.name) return db.select({ total: count() }).from(games).where(where);
  const matches =
    !filter.platform && usesTrigramIndex(filter.name)
      ? db.select({ one: sql`1` }).from(sql`games_fts`).where(sql`games_fts MATCH ${ftsPhrase(filter.name)}`)
      : db.select({ one: sql`1` }).from(games).where(where);
  return db.select({ total: count() }).from(matches.limit(MAX_COUNTED_MATCHES + 1).as("matches"));
}

export function gamesRepository(db: Database) {
  return {
    /**
     * One page in id order plus the total, in a single round trip; with `knownTotal` (the count
     * of this filter at this data version, already taken) only the page's statement runs.
     */
    async page(filter: GameFilter, page: Page, knownTotal?: Total): Promise<GamePage> {
      const where = whereFilter(filter);
      const rowsQuery = db
        .select()
        .from(games)
        .where(and(where, page.afterId !== undefined ? gt(games.id, page.afterId) : undefined))
        .orderBy(asc(games.id))
        .limit(page.limit + 1)
        .offset(page.offset ?? 0);
      if (knownTotal) {
        const rows = await rowsQuery;
        return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit, total: knownTotal };
      }
      const [rows, [totals]] = await db.batch([rowsQuery, totalQuery(db, filter, where)]);
      const counted = totals?.total ?? 0;
      // Only a name search's count stops early: one past the cap means "more than the cap".
      const capped = Boolean(filter.name) && counted > MAX_COUNTED_MATCHES;
      return {
        rows: rows.slice(0, page.limit),
        hasMore: rows.length > page.limit,
        total: capped ? { count: MAX_COUNTED_MATCHES, exact: false } : { count: counted, exact: true },
      };
    },

    async findById(id: number): Promise<GameRow | undefined> {
      const [row] = await db.select().from(games).where(eq(games.id, id)).limit(1);
      return row;
    },

    async findByNaturalKey(platform: Platform, storeId: string): Promise<GameRow | undefined> {
      const [row] = await db
        .select()
        .from(games)
        .where(and(eq(games.platform, platform), eq(games.storeId, storeId)))
        .limit(1);
      return row;
    },

    /** Inserts unless (platform, storeId) exists; returns undefined on that conflict. */
    async insert(values: NewGameRow): Promise<GameRow | undefined> {
      const [row] = await db
        .insert(games)
        .values(values)
        .onConflictDoNothing({ target: [games.platform, games.storeId] })
        .returning();
      return row;
    },

    /**
     * Sets `values` (and nothing else) on game `id` if its columns still hold `expected`; returns
     * the updated row, or undefined when the game is absent or no longer as expected. Throws a
     * UNIQUE violation when the new natural key belongs to another game.
     */
    async update(id: number, values: Partial<NewGameRow>, expected: ExpectedColumns = {}): Promise<GameRow | undefined> {
      const [row] = await db.update(games).set(values).where(whereCurrent(id, expected)).returning();
      return row;
    },

    /** Deletes game `id` if its columns still hold `expected`; false when absent or changed. */
    async delete(id: number, expected: ExpectedColumns = {}): Promise<boolean> {
      const deleted = await db.delete(games).where(whereCurrent(id, expected)).returning({ id: games.id });
      return deleted.length > 0;
    },
  };
}
