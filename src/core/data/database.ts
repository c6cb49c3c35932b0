import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema";

/**
 * The database as the core sees it: an async SQLite drizzle instance with an atomic `batch`.
 * D1 (drizzle-orm/d1) and other SQLite drivers with batch support (libsql, sqlite-proxy) fit.
 * Statements must respect D1's limits wherever the code runs: at most 100 bound parameters
 * and 100 KB of SQL text per statement (see MAX_BOUND_PARAMETERS).
 */
export type Database = BaseSQLiteDatabase<"async", unknown, typeof schema> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

/** D1 rejects a statement with more bound parameters than this (`too many SQL variables`; https://developers.cloudflare.com/d1/platform/limits/). */
export const MAX_BOUND_PARAMETERS = 100;
