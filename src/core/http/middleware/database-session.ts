import { createMiddleware } from "hono/factory";
import { inSession } from "../../services/deps";
import { startAtLeast, type SessionStart } from "../../domain/bookmark";
import type { AppEnv } from "../env";
import { validationError } from "../problem";
import { BOOKMARK_HEADER, BookmarkHeaderSchema } from "../schemas/bookmark";

/** Methods that only read; any other request may write, so it starts on the primary. */
const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * Runs the request in one database session (data/database.ts; D1's Sessions API on Workers).
 * A read (GET, HEAD) starts wherever is nearest (`first-unconstrained`, a replica when read
 * replication is on); any other method may write and starts on the primary (`first-primary`) —
 * decided by the method alone, so a POST that only reads (`POST /api/games/search`) starts on the
 * primary too. A valid `X-D1-Bookmark` makes the session read at least that fresh; a malformed
 * one is a 400 before any query. The response carries the session's bookmark.
 */
export const databaseSession = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    let start: SessionStart = READ_METHODS.has(c.req.method) ? "first-unconstrained" : "first-primary";
    const sent = c.req.header(BOOKMARK_HEADER);
    if (sent !== undefined) {
      const parsed = BookmarkHeaderSchema.safeParse({ [BOOKMARK_HEADER]: sent });
      if (!parsed.success) throw validationError(parsed.error, "header");
      const requested = parsed.data[BOOKMARK_HEADER];
      start = startAtLeast(start, requested ?? null);
      // The read cache holds a cached answer to it too (http/middleware/read-cache.ts).
      c.set("requestBookmark", requested);
    }
    const deps = inSession(c.env.deps, start);
    const { session } = deps;
    c.env = { ...c.env, deps };
    await next();
    const bookmark = session.bookmark();
    if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
  });
