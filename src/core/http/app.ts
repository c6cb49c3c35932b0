import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";
import { accessLog } from "./middleware/access-log";
import { authenticateApiKey } from "./middleware/authenticate";
import { jsonBodyGuard } from "./middleware/body-guard";
import { databaseSession } from "./middleware/database-session";
import { limitByApiKey, limitByClientIp } from "./middleware/rate-limit";
import { requestId } from "./middleware/request-id";
import { notFoundHandler } from "./not-found";
import { OPENAPI_CONFIG } from "./openapi";
import { problemResponse, validationError } from "./problem";
import { apiKeysRoutes } from "./routes/api-keys";
import { docsRoutes } from "./routes/docs";
import { gamesRoutes } from "./routes/games";
import { healthRoutes } from "./routes/health";
import { problemsRoutes } from "./routes/problems";
import { ingestRoutes } from "./routes/ingest";
import { searchRoutes } from "./routes/search";
import { SNS_PATH, snsRoutes } from "./routes/sns";
import { statsRoutes } from "./routes/stats";
import { registerSecuritySchemes } from "./routes/security";

/**
 * `middleware` for every request but those to `path`. (hono/combine's `except` does the same
 * with a router match and a composition built per request, a measurable share of a cached
 * read: docs/BENCHMARKS.md, "Latest run: hot entries and a leaner HIT".)
 */
const exceptPath = (path: string, middleware: MiddlewareHandler<AppEnv>) =>
  createMiddleware<AppEnv>((c, next) => (c.req.path === path ? next() : middleware(c, next)));

/**
 * The whole HTTP API, independent of the runtime: the platform entry passes a RequestContext
 * as Hono's `env` with every request. A request flows top to bottom: request id → access log
 * → (public: per-IP limit | /api: key → per-key limit → database session → JSON body guard |
 * POST /api/ingest/sns, signed by SNS instead of a key: per-IP limit → database session → JSON
 * body guard) → route → service → repository.
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });

  app.use("*", requestId(), accessLog());
  // SNS cannot send an API key: its messages are authenticated by their signature (routes/sns.ts).
  for (const middleware of [authenticateApiKey(), limitByApiKey(), databaseSession(), jsonBodyGuard()]) {
    app.use("/api/*", exceptPath(SNS_PATH, middleware));
  }
  app.use(SNS_PATH, limitByClientIp(), databaseSession(), jsonBodyGuard({ acceptTextPlain: true }));
  for (const path of ["/health", "/openapi.json", "/docs", "/problems", "/problems/*"]) app.use(path, limitByClientIp());

  registerSecuritySchemes(app);
  // Search first: `/api/games/search` must not be taken for `/api/games/{id}`.
  app.route("/", searchRoutes);
  app.route("/", ingestRoutes);
  app.route("/", snsRoutes);
  app.route("/", gamesRoutes);
  app.route("/", apiKeysRoutes);
  app.route("/", statsRoutes);
  app.route("/", healthRoutes);
  app.route("/", docsRoutes);
  app.route("/", problemsRoutes);
  app.doc31("/openapi.json", OPENAPI_CONFIG);

  app.notFound(notFoundHandler(app));
  app.onError((error, c) => problemResponse(c, error));
  return app;
}
