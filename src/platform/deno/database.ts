import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { join } from "node:path";
import type { SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import type { Database } from "../../core/data/database";

/**
 * The core's `Database` on Deno: drizzle's sqlite-proxy driver over `node:sqlite` (SQLite 3.53
 * in Deno 2.9, with FTS5 and the trigram tokenizer the migrations need). node:sqlite is
 * synchronous, so every statement — and every `batch`, wrapped in BEGIN IMMEDIATE … COMMIT —
 * runs to completion before any other code in this process: batches are atomic and isolated
 * exactly like a D1 batch. One process owns the file (other processes would wait on
 * `busy_timeout`).
 *
 * Row shapes the proxy driver expects (drizzle-orm/sqlite-proxy/session.js):
 * - `all` / `values`: `{ rows: unknown[][] }` — arrays in column order, which is what the query
 *   builders map to fields (objects would lose duplicate column names of joins);
 * - `get`: `{ rows: unknown[] | undefined }` — one row as an array;
 * - `run`: passed through as the result of `.run()`; shaped like D1's (`meta.changes`,
 *   `meta.last_row_id`) so code written against D1 reads the same fields.
 * Raw `db.all(sql)` / `db.get(sql)` have no fields to map, and on D1 they return objects keyed
 * by column name; `objectRowsForRawQueries` keeps that contract here.
 */

export interface SqliteHandle {
  db: Database;
  sqlite: DatabaseSync;
  close(): void;
}

type Method = "run" | "all" | "values" | "get";
interface Query {
  sql: string;
  params: unknown[];
  method: Method;
}

/** D1 binds booleans as 1/0 and undefined as NULL; node:sqlite refuses both. */
function bindable(params: unknown[]): SQLInputValue[] {
  return params.map((p) => {
    if (p === undefined) return null;
    if (typeof p === "boolean") return p ? 1 : 0;
    return p as SQLInputValue;
  });
}

export function createDatabase(path: string): SqliteHandle {
  const sqlite = new DatabaseSync(path);
  // D1 enforces foreign keys; WAL lets readers (a `sqlite3` shell, backups) work alongside.
  sqlite.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  if (path !== ":memory:") sqlite.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");

  const statements = new Map<string, StatementSync>();
  const prepare = (text: string, arrays: boolean) => {
    const cacheKey = `${arrays ? "a" : "o"}:${text}`;
    let stmt = statements.get(cacheKey);
    if (!stmt) {
      stmt = sqlite.prepare(text);
      stmt.setReturnArrays(arrays);
      if (statements.size >= 500) statements.delete(statements.keys().next().value!);
      statements.set(cacheKey, stmt);
    }
    return stmt;
  };

  // `rows` is typed `any[]` by the proxy driver although `get` yields one row or undefined
  // (which its mapGetResult expects).
  // deno-lint-ignore no-explicit-any
  const execute = ({ sql, params, method }: Query): { rows: any[]; columns?: string[]; success?: true; meta?: { changes: number; last_row_id: number } } => {
    const values = bindable(params);
    if (method === "run") {
      const { changes, lastInsertRowid } = prepare(sql, true).run(...values);
      return { rows: [], success: true, meta: { changes: Number(changes), last_row_id: Number(lastInsertRowid) } };
    }
    const stmt = prepare(sql, true);
    // deno-lint-ignore no-explicit-any
    if (method === "get") return { rows: stmt.get(...values) as any, columns: columnNames(stmt) };
    return { rows: stmt.all(...values), columns: columnNames(stmt) };
  };

  const db = drizzle(
    async (sql, params, method) => execute({ sql, params, method }),
    async (queries) => {
      // Synchronous from BEGIN to COMMIT: nothing else in this process runs in between.
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        const results = queries.map((q) => execute(q as Query));
        sqlite.exec("COMMIT");
        return results;
      } catch (error) {
        if (sqlite.isTransaction) sqlite.exec("ROLLBACK");
        throw error;
      }
    },
  );
  objectRowsForRawQueries(db, (query) => prepare(dialect.sqlToQuery(query).sql, false));

  return {
    db: db as unknown as Database,
    sqlite,
    close: () => sqlite.close(),
  };
}

const columnNames = (stmt: StatementSync) => stmt.columns().map((c) => c.name);

/** Renders raw SQL the way the driver does (the proxy driver's dialect has no options set). */
const dialect = new SQLiteAsyncDialect();

type RawResult = { rows: unknown; columns?: string[] };
const toObject = (row: unknown[], columns: string[]) => Object.fromEntries(columns.map((name, i) => [name, row[i]]));

/**
 * drizzle's proxy session returns raw-SQL rows exactly as the callback produced them (arrays),
 * while D1 — and so the core — gets objects from `db.all(sql)` / `db.get(sql)`. These two
 * session methods are only reached by raw SQL (query builders go through prepared queries), so
 * replacing them on this instance gives raw queries D1's row shape, inside a batch too.
 */
function objectRowsForRawQueries(db: ReturnType<typeof drizzle>, prepareObjects: (query: SQL) => StatementSync) {
  const session = (db as unknown as { session: Record<string, unknown> }).session;
  const paramsOf = (query: SQL) => bindable(dialect.sqlToQuery(query).params);
  // Plain objects (node:sqlite's have a null prototype), as D1 returns.
  session.all = async (query: SQL) => prepareObjects(query).all(...paramsOf(query)).map((row) => ({ ...row }));
  session.get = async (query: SQL) => {
    const row = prepareObjects(query).get(...paramsOf(query));
    return row ? { ...row } : undefined;
  };
  session.extractRawAllValueFromBatchResult = (result: RawResult) =>
    (result.rows as unknown[][]).map((row) => toObject(row, result.columns ?? []));
  session.extractRawGetValueFromBatchResult = (result: RawResult) =>
    result.rows ? toObject(result.rows as unknown[], result.columns ?? []) : undefined;
}

/** Where migrations are tracked: the same table `wrangler d1 migrations apply` uses. */
const MIGRATIONS_TABLE = "d1_migrations";

/**
 * Applies every `migrations/*.sql` file not applied yet, in name order, each in its own
 * transaction together with its row in `d1_migrations` (the table and columns wrangler uses
 * for D1, so a database exported from D1 continues from where it was). drizzle-kit's
 * `--> statement-breakpoint` markers are SQL comments; each file runs as one script.
 */
export function applyMigrations(sqlite: DatabaseSync, dir: string): string[] {
  sqlite.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`);
  const applied = new Set(
    (sqlite.prepare(`SELECT name FROM ${MIGRATIONS_TABLE}`).all() as { name: string }[]).map((r) => r.name),
  );
  const files = [...Deno.readDirSync(dir)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort();
  const done: string[] = [];
  for (const name of files) {
    if (applied.has(name)) continue;
    const script = Deno.readTextFileSync(join(dir, name));
    sqlite.exec("BEGIN IMMEDIATE");
    try {
      sqlite.exec(script);
      sqlite.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`).run(name);
      sqlite.exec("COMMIT");
    } catch (error) {
      sqlite.exec("ROLLBACK");
      throw new Error(`migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    done.push(name);
  }
  return done;
}
