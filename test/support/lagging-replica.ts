// A D1 database with one read replica that lags behind its primary, for tests of what D1 read
// replication can do to a reader: the real local D1 has no replicas and never lags (a session
// started anywhere reads the one local database).
//
// The primary is the real local database (`env.DB`); the replica is a second real local database
// holding a snapshot of the primary's tables, taken by `catchUp()` — it is exactly as fresh as the
// primary's bookmark at that moment and stays there until the next `catchUp()`. A session follows
// the Sessions API's rules (https://developers.cloudflare.com/d1/best-practices/read-replication/):
// writes go to the primary; a read goes to the replica unless the session must read fresher data
// than the replica holds — it started `first-primary` and has not queried yet, it started from a
// newer bookmark, or it has already seen newer data — in which case the primary answers (as D1
// does once a replica has caught up, or by sending the query to the primary).

/** Statements that change data; everything else is a read. */
const WRITE = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;

/** Which copy answered a query, as D1 reports it in `meta`. */
export const REPLICA_REGION = "replica-region";
export const PRIMARY_REGION = "primary-region";

/** A statement of a lagging session: its SQL, and the same statement prepared on either copy. */
type Statement = D1PreparedStatement & { sql: string; toReal(on: D1DatabaseSession | D1Database): D1PreparedStatement };

export interface Served {
  primary: number;
  replica: number;
}

export class LaggingReplica {
  /** Every start a session was opened with, in order (`first-primary`, `first-unconstrained` or a bookmark). */
  readonly starts: string[] = [];
  /** Queries (a batch counts once) answered by each copy. */
  readonly served: Served = { primary: 0, replica: 0 };
  private replicaBookmark = "";

  constructor(
    private readonly primary: D1Database,
    private readonly replica: D1Database,
    /** The tables `catchUp` copies. */
    private readonly tables: readonly string[] = ["games"],
  ) {}

  /** The replica replays the primary's writes up to now: it holds a copy of its tables, as fresh as its current bookmark. */
  async catchUp(): Promise<void> {
    const session = this.primary.withSession("first-primary");
    for (const table of this.tables) {
      const { results } = await session.prepare(`SELECT * FROM ${table}`).all<Record<string, unknown>>();
      const statements: D1PreparedStatement[] = [this.replica.prepare(`DELETE FROM ${table}`)];
      for (const row of results) {
        const columns = Object.keys(row);
        const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
        statements.push(this.replica.prepare(sql).bind(...columns.map((c) => row[c])));
      }
      await this.replica.batch(statements);
    }
    this.replicaBookmark = session.getBookmark() ?? "";
  }

  /** The primary's freshest bookmark now (a query on it). */
  async primaryBookmark(): Promise<string> {
    const session = this.primary.withSession("first-primary");
    await session.prepare("SELECT 1").all();
    return session.getBookmark()!;
  }

  /** The D1 binding a Worker under test uses: `withSession` opens sessions on the two copies. */
  get binding(): D1Database {
    return {
      prepare: (query: string) => this.primary.prepare(query),
      batch: <T>(statements: D1PreparedStatement[]) => this.primary.batch<T>(statements),
      exec: (query: string) => this.primary.exec(query),
      dump: () => this.primary.dump(),
      withSession: (start = "first-unconstrained") => {
        this.starts.push(start);
        return this.session(start);
      },
    } as unknown as D1Database;
  }

  private session(start: string): D1DatabaseSession {
    // A real session on the primary, for its bookmarks.
    const primary = this.primary.withSession("first-primary");
    let onPrimaryFirst = start === "first-primary";
    let floor = start.startsWith("first-") ? "" : start;

    /** Where a query goes; writes and reads the replica is too old for go to the primary. */
    const target = (writes: boolean): "primary" | "replica" => {
      if (writes || onPrimaryFirst || floor > this.replicaBookmark) return "primary";
      return "replica";
    };
    const ran = <R>(where: "primary" | "replica", result: R): R => {
      onPrimaryFirst = false;
      this.served[where]++;
      const seen = where === "primary" ? (primary.getBookmark() ?? "") : this.replicaBookmark;
      if (seen > floor) floor = seen;
      const meta = (result as { meta?: D1Meta } | undefined)?.meta;
      if (meta) Object.assign(meta, { served_by_primary: where === "primary", served_by_region: where === "primary" ? PRIMARY_REGION : REPLICA_REGION });
      return result;
    };
    const db = (where: "primary" | "replica") => (where === "primary" ? primary : this.replica);

    const statement = (sql: string, values: unknown[]): Statement => {
      const real = (on: D1DatabaseSession | D1Database) => (values.length > 0 ? on.prepare(sql).bind(...values) : on.prepare(sql));
      const execute = async <R>(run: (s: D1PreparedStatement) => Promise<R>): Promise<R> => {
        const where = target(WRITE.test(sql));
        return ran(where, await run(real(db(where))));
      };
      return {
        sql,
        toReal: real,
        bind: (...next: unknown[]) => statement(sql, next),
        first: (column?: string) => execute((s) => (column === undefined ? s.first() : s.first(column))),
        run: () => execute((s) => s.run()),
        all: () => execute((s) => s.all()),
        raw: (options?: { columnNames?: boolean }) => execute((s) => (options?.columnNames ? s.raw({ columnNames: true }) : s.raw())),
      } as unknown as Statement;
    };

    return {
      prepare: (query: string) => statement(query, []),
      batch: async <T>(statements: D1PreparedStatement[]) => {
        const ours = statements as Statement[];
        const where = target(ours.some((s) => WRITE.test(s.sql)));
        const results = await db(where).batch<T>(ours.map((s) => s.toReal(db(where))));
        results.forEach((result) => ran(where, result));
        // One query for the count, however many statements the batch had.
        this.served[where] -= results.length - 1;
        return results;
      },
      getBookmark: () => floor || null,
    } as unknown as D1DatabaseSession;
  }
}
