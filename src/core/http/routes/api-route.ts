import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { Scope } from "../../domain/scopes";
import type { ProblemCode } from "../../errors";
import type { AppEnv } from "../env";
import { requireScope } from "../middleware/authenticate";
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
 * requirement, the check of `scope` before the route's own middleware, and its error responses,
 * so a route file states only what is particular to it.
 * The API key itself is verified for every /api path before routing (http/app.ts).
 */
export function apiRoute<P extends string, R extends Omit<RouteConfig, "path" | "security" | "middleware"> & { path: P; operationId: string }>(
  scope: Scope,
  config: R,
  options: ApiRouteOptions = {},
) {
  const { responses, ...route } = config;
  return createRoute({
    ...route,
    security: API_KEY_SECURITY,
    middleware: [requireScope(scope), ...(options.middleware ?? [])],
    // Typed as the route's own responses: handlers answer those, and throw AppErrors for the rest.
    responses: { ...responses, ...errorResponses(...(options.errors ?? []), ...AUTHENTICATED_ERRORS) } as R["responses"],
  });
}
