import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { Scope } from "../../domain/scopes";
import type { ProblemCode } from "../../errors";
import type { AppEnv } from "../env";
import { requireScope } from "../middleware/authenticate";
import { BOOKMARK_HEADER, BookmarkHeaderSchema } from "../schemas/bookmark";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/problem";
import { API_KEY_SECURITY } from "./security";

/**
 * A JSON body of a request or a response, for `content`, with the example the document shows
 * (Redocly's `no-invalid-media-type-examples` and test/core/http/openapi.test.ts check it against
 * the schema).
 */
export const json = <T>(schema: T, example?: unknown) => ({ "application/json": example === undefined ? { schema } : { schema, example } });

export interface ApiRouteOptions {
  /** The problems this route can answer besides 400 (validation), 401, 403, 429, 500 and 503, which every /api route can. */
  errors?: ProblemCode[];
  /** Middleware of its own, run after the scope check (e.g. the read cache). */
  middleware?: MiddlewareHandler<AppEnv>[];
}

/**
 * An /api route: its `operationId` (required: it names the method of every generated client, so
 * it is stable camelCase and unique; test/core/http/openapi.test.ts checks), the API-key security
 * requirement, the check of `scope` before the route's own middleware, its error responses, and
 * the `X-D1-Bookmark` request and response headers (http/middleware/database-session.ts), so a
 * route file states only what is particular to it.
 * The API key itself is verified for every /api path before routing (http/app.ts).
 */
export function apiRoute<P extends string, R extends Omit<RouteConfig, "path" | "security" | "middleware"> & { path: P; operationId: string }>(
  scope: Scope,
  config: R,
  options: ApiRouteOptions = {},
) {
  const { responses, request, ...route } = config;
  const all = { ...responses, ...errorResponses(...(options.errors ?? []), ...AUTHENTICATED_ERRORS) };
  return createRoute({
    ...route,
    // Typed as the route's own request: the bookmark header is read by the session middleware, not by handlers.
    request: { ...request, headers: withBookmarkHeader(request?.headers) } as R["request"],
    security: API_KEY_SECURITY,
    middleware: [requireScope(scope), ...(options.middleware ?? [])],
    // Typed as the route's own responses: handlers answer those, and throw AppErrors for the rest.
    responses: withBookmarkResponseHeader(all) as R["responses"],
  });
}

type RequestHeaders = NonNullable<RouteConfig["request"]>["headers"];

/** The route's own request headers and the optional bookmark header, which is declared once (components.parameters). */
function withBookmarkHeader(headers: RequestHeaders) {
  if (headers === undefined) return BookmarkHeaderSchema;
  if (headers instanceof z.ZodObject) return headers.extend(BookmarkHeaderSchema.shape);
  throw new TypeError("apiRoute: request.headers must be a zod object");
}

/**
 * Every response but the 401 carries the session's bookmark (a 401 is answered before the
 * session opens; so is a 429 of the rate limiter, whose header is then simply absent).
 */
function withBookmarkResponseHeader(responses: RouteConfig["responses"]) {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [
      status,
      status === "401" || "$ref" in response
        ? response
        : { ...response, headers: { ...(response.headers as object | undefined), [BOOKMARK_HEADER]: { $ref: `#/components/headers/${BOOKMARK_HEADER}` } } },
    ]),
  );
}
