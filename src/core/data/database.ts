import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { bookmarkOf, freshestBookmark, type Bookmark, type SessionStart } from "../domain/bookmark";

/**
 * The database as the core sees it: an async SQLite drizzle instance with an atomic `batch`.
 * Queries are built from the tables in schema.ts with drizzle's query builder; drizzle's
 * relational API (`db.query`) is not used, so no driver is given the schema: building its
 * relational config cost about 0.03 ms per drizzle instance, and the Workers adapter builds one
 * per request (docs/BENCHMARKS.md, "Latest run: hot entries and a leaner HIT").
 * D1 (drizzle-orm/d1) and other SQLite drivers with batch support (libsql, sqlite-proxy) fit.
 * Statements must respect D1's limits wherever the code runs: at most 100 bound parameters
 * and 100 KB of SQL text per statement (see MAX_BOUND_PARAMETERS).
 */
export type Database = BaseSQLiteDatabase<"async", unknown> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

/** D1 rejects a statement with more bound parameters than this (`too many SQL variables`; https://developers.cloudflare.com/d1/platform/limits/). */
export const MAX_BOUND_PARAMETERS = 100;

/** Where the database says a query ran (D1's `meta.served_by_region` / `served_by_primary`). */
export interface ServedBy {
  region?: string;
  primary?: boolean;
}

/**
 * One logical session on the database: a request, a queue message or a cron run. Its queries are
 * sequentially consistent (D1's Sessions API: each one sees every earlier one's writes, reads
 * never go back in time), and a session started from a bookmark reads data at least that fresh.
 * The platform opens the real session lazily, at the first query, so that a freshness
 * requirement learnt before any query (the read cache's, see http/middleware/read-cache.ts)
 * still chooses where it starts.
 */
export interface DatabaseSession {
  /** The drizzle instance whose queries run in this session. */
  readonly db: Database;
  /**
   * From now on, read data at least as fresh as `bookmark`: before the first query the session
   * starts from it; after, the rest of the session's queries run in a session that does.
   */
  requireAtLeast(bookmark: Bookmark): void;
  /**
   * The freshest bookmark the session knows: its queries' (after a write, the write's), else the
   * one it was asked to start from; null when it has neither (no query ran yet).
   */
  bookmark(): Bookmark | null;
  /** Where the latest query that reported it ran; undefined locally and on runtimes without replicas. */
  servedBy(): ServedBy | undefined;
}

/** Opens a session (the platform's port; one per request, queue message or cron run). */
export type OpenSession = (start: SessionStart) => DatabaseSession;

/** The bookmark of a database that has no history to name: every state is at least this fresh. */
export const ORIGIN_BOOKMARK: Bookmark = "00000000-00000000-00000000-00000000000000000000000000000000";

/**
 * Sessions on a database that is its own only copy (one SQLite file: Deno): every query sees
 * every committed write, so a session is the database itself and a bookmark changes nothing.
 * Bookmarks are still accepted and given back (the one sent, else ORIGIN_BOOKMARK), so clients
 * written for D1 work unchanged.
 */
export function alwaysFreshSessions(db: Database): OpenSession {
  return (start) => {
    let known = bookmarkOf(start);
    return {
      db,
      requireAtLeast: (bookmark) => void (known = freshestBookmark(known, bookmark)),
      bookmark: () => known ?? ORIGIN_BOOKMARK,
      servedBy: () => undefined,
    };
  };
}
