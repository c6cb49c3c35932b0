import type { Context, Hono } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "./env";
import { problemResponse } from "./problem";

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** Route paths (`/api/games/:id`) as patterns, with the methods each one answers. */
function knownPaths(app: Hono<AppEnv>): KnownPath[] {
  const byPath = new Map<string, KnownPath>();
  for (const route of app.routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    let known = byPath.get(route.path);
    if (!known) {
      const source = route.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]\w*/g, "[^/]+");
      // Exact match only: routing is strict about trailing slashes, so `/api/games/` is not
      // `/api/games` and must be a 404, not a 405 whose Allow lists the method just used.
      known = { pattern: new RegExp(`^${source}$`), methods: new Set() };
      byPath.set(route.path, known);
    }
    known.methods.add(route.method);
    if (route.method === "GET") known.methods.add("HEAD");
  }
  return [...byPath.values()];
}

/** Unknown paths are 404; known paths with another method are 405 with an `Allow` header. */
export function notFoundHandler(app: Hono<AppEnv>) {
  let paths: KnownPath[] | undefined;
  return (c: Context<AppEnv>) => {
    paths ??= knownPaths(app);
    const allowed = new Set<string>();
    for (const known of paths) if (known.pattern.test(c.req.path)) for (const m of known.methods) allowed.add(m);
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(", ");
      return problemResponse(c, new AppError("method-not-allowed", `${c.req.method} is not supported here; use ${allow}`, { headers: { Allow: allow } }));
    }
    return problemResponse(c, new AppError("not-found", `No route for ${c.req.method} ${c.req.path}`));
  };
}
