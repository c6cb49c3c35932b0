import { drizzle } from "drizzle-orm/d1";
import type { Database } from "../../src/core/data/database";

const EXECUTE = new Set(["all", "raw", "run", "first"]);

/**
 * The real local D1, except that `before(sql)` runs (and is awaited) right before every statement
 * executes. Lets a test put another writer's statement exactly between two statements of the code
 * under test — the interleaving a busy production database produces by chance.
 */
export function interleavedDatabase(inner: D1Database, before: (sql: string) => Promise<void>): Database {
  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property === "bind") return (...params: unknown[]) => wrap(target.bind(...params), sql);
        if (typeof property === "string" && EXECUTE.has(property) && typeof value === "function") {
          return async (...args: unknown[]) => {
            await before(sql);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const database = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return drizzle(database);
}

/** Runs `write` once, right before the first statement whose SQL matches `pattern`. */
export function onceBefore(pattern: RegExp, write: () => Promise<unknown>): (sql: string) => Promise<void> {
  let done = false;
  return async (sql) => {
    if (done || !pattern.test(sql)) return;
    done = true;
    await write();
  };
}
