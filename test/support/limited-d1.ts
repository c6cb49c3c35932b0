import type { InvocationBudget } from "./invocation";
import { D1_LIMITS, d1Errors, utf8Exceeds } from "./platform-limits";

/** Something that prepares and batches statements: a D1Database or one of its sessions. */
interface Queryable {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

const byteLength = (value: unknown): number =>
  value instanceof ArrayBuffer ? value.byteLength : ArrayBuffer.isView(value) ? value.byteLength : 0;

function tooBig(value: unknown): boolean {
  if (typeof value === "string") return utf8Exceeds(value, D1_LIMITS.valueBytes);
  return byteLength(value) > D1_LIMITS.valueBytes;
}

/** SQLite reports the offset of the first variable past the limit. */
function offsetOfVariable(sql: string, n: number): number {
  let seen = 0;
  for (let i = 0; i < sql.length; i++) if (sql[i] === "?" && ++seen === n) return i;
  return sql.length;
}

/** Throws what D1 throws for a statement that breaks a per-statement limit. */
function checkStatement(sql: string, values: readonly unknown[]): void {
  if (utf8Exceeds(sql, D1_LIMITS.statementBytes)) throw d1Errors.statementTooLong();
  if (values.length > D1_LIMITS.boundParameters) throw d1Errors.tooManyParameters(offsetOfVariable(sql, D1_LIMITS.boundParameters + 1));
  if (values.some(tooBig)) throw d1Errors.valueTooBig();
}

/** SQLite's length limit applies to the values a statement produces as well (e.g. json_group_array). */
function checkProduced(result: unknown): void {
  const rows = Array.isArray(result) ? result : result && typeof result === "object" && "results" in result ? (result as D1Result).results : [result];
  for (const row of rows ?? []) {
    const values = row && typeof row === "object" ? Object.values(row) : [row];
    if (values.some(tooBig)) throw d1Errors.valueTooBig();
  }
}

/**
 * The real statement behind each limited one, so that a batch can hand the originals to D1. A
 * property rather than a WeakMap entry, so that it is still found through a Proxy around the
 * statement (test/helpers/d1-interleave.ts wraps statements that way).
 */
const ORIGINAL = Symbol("original D1 statement");
type Limited = D1PreparedStatement & { [ORIGINAL]?: () => D1PreparedStatement };

function limitedStatement(real: Queryable, sql: string, values: readonly unknown[], budget: () => InvocationBudget): D1PreparedStatement {
  const original = () => (values.length > 0 ? real.prepare(sql).bind(...values) : real.prepare(sql));
  const execute = async <T>(run: (statement: D1PreparedStatement) => Promise<T>): Promise<T> => {
    checkStatement(sql, values);
    budget().spendD1(1);
    const result = await run(original());
    checkProduced(result);
    return result;
  };
  const statement = {
    [ORIGINAL]: () => {
      checkStatement(sql, values);
      return original();
    },
    bind: (...next: unknown[]) => limitedStatement(real, sql, next, budget),
    first: (column?: string) => execute((s) => (column === undefined ? s.first() : s.first(column))),
    run: () => execute((s) => s.run()),
    all: () => execute((s) => s.all()),
    raw: (options?: { columnNames?: boolean }) => execute((s) => (options?.columnNames ? s.raw({ columnNames: true }) : s.raw())),
  } as unknown as D1PreparedStatement;
  return statement;
}

function limitedQueryable(real: Queryable, budget: () => InvocationBudget) {
  return {
    prepare: (query: string) => limitedStatement(real, query, [], budget),
    async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const unwrapped = statements.map((statement) => {
        const original = (statement as Limited)[ORIGINAL];
        if (!original) throw new TypeError("D1 batch: statement was not prepared by this (limited) database");
        return original();
      });
      budget().spendD1(statements.length);
      const results = await real.batch<T>(unwrapped);
      results.forEach(checkProduced);
      return results;
    },
  };
}

/**
 * The real local D1, with the production limits Miniflare does not enforce: at most 100 bound
 * parameters and 100,000 bytes of SQL per statement, 2,000,000 bytes per string or BLOB value
 * (bound, or produced by the statement), and 1,000 queries per invocation (a batch counts each of
 * its statements) against `budget()`. Errors are production's `D1_ERROR: …` texts
 * (platform-limits.ts). Not enforced: the 2 MB limit on a whole row, and values that a statement
 * writes without returning them.
 */
export function limitedD1(real: D1Database, budget: () => InvocationBudget): D1Database {
  return {
    ...limitedQueryable(real, budget),
    async exec(query: string) {
      // exec runs each `;`-separated statement as its own query.
      budget().spendD1(Math.max(1, query.split(";").filter((part) => part.trim() !== "").length));
      return real.exec(query);
    },
    withSession(constraintOrBookmark?: string) {
      const session = real.withSession(constraintOrBookmark);
      return { ...limitedQueryable(session, budget), getBookmark: () => session.getBookmark() } as D1DatabaseSession;
    },
    dump: () => real.dump(),
  } as D1Database;
}
