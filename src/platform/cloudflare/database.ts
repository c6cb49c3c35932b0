import { drizzle } from "drizzle-orm/d1";
import type { Database, DatabaseSession, OpenSession, ServedBy } from "../../core/data/database";
import { bookmarkOf, freshestBookmark, startAtLeast, type Bookmark, type SessionStart } from "../../core/domain/bookmark";

/** The core's Database on D1: drizzle's D1 driver, whose `batch` is D1's atomic batch. */
export function createDatabase(binding: D1Database): Database {
  return drizzle(binding);
}

/** What `withSession` takes: a constraint, or the bookmark to start from. */
const constraintOf = (start: SessionStart): string => (typeof start === "object" ? start.bookmark : start);

/**
 * Sessions on D1's Sessions API (https://developers.cloudflare.com/d1/worker-api/d1-database/#withsession).
 * drizzle has no notion of a session, so each one is handed to drizzle as the `D1Database` it
 * expects: `prepare` and `batch` go to the session (a session has no `exec` or `dump`, which the
 * core never calls). The real session is opened at the first statement, from the start the core
 * asked for, raised by any `requireAtLeast` that came before it; a requirement after it moves the
 * rest of the queries to a session started from the freshest bookmark known, which keeps them
 * sequentially consistent with the earlier ones.
 */
export function createSessions(binding: D1Database): OpenSession {
  return (initial) => {
    let start = initial;
    let live: D1DatabaseSession | undefined;
    let known: Bookmark | null = bookmarkOf(initial);
    let served: ServedBy | undefined;

    const session = () => (live ??= binding.withSession(constraintOf(start)));
    /** Keeps `meta.served_by_*` of the results that carry it (`run`, `all`, `batch`; `raw` and `first` do not). */
    const observe = <R>(result: R): R => {
      const meta = (result as { meta?: D1Meta } | undefined)?.meta;
      if (meta && (meta.served_by_region !== undefined || meta.served_by_primary !== undefined)) {
        served = { region: meta.served_by_region, primary: meta.served_by_primary };
      }
      return result;
    };

    // Statements are the session's own; only the results of `run` and `all` are looked at.
    // Made at the first statement: a request served from the cache never prepares one.
    let originals: WeakMap<object, D1PreparedStatement> | undefined;
    const observed = (statement: D1PreparedStatement): D1PreparedStatement => {
      originals ??= new WeakMap();
      const wrapped = new Proxy(statement, {
        get(target, property) {
          if (property === "bind") return (...values: unknown[]) => observed(target.bind(...values));
          if (property === "run" || property === "all") return () => target[property]().then(observe);
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      originals.set(wrapped, statement);
      return wrapped;
    };

    const client = {
      prepare: (query: string) => observed(session().prepare(query)),
      batch: async <T>(statements: D1PreparedStatement[]) => {
        const results = await session().batch<T>(statements.map((s) => originals?.get(s) ?? s));
        results.forEach(observe);
        return results;
      },
    } as unknown as D1Database;

    let orm: Database | undefined;
    const opened: DatabaseSession = {
      // Built at first use: a cached read never queries (docs/BENCHMARKS.md, "Latest run: hot entries and a leaner HIT").
      get db() {
        return (orm ??= drizzle(client));
      },
      requireAtLeast(bookmark) {
        known = freshestBookmark(known, bookmark);
        if (!live) {
          start = startAtLeast(start, bookmark);
          return;
        }
        const current = live.getBookmark();
        if (current !== null && current >= bookmark) return;
        start = { bookmark: freshestBookmark(current, bookmark)! };
        live = undefined;
      },
      bookmark: () => freshestBookmark(live?.getBookmark(), known),
      servedBy: () => served,
    };
    return opened;
  };
}
