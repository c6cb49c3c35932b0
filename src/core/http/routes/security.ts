import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { BOOKMARK_HEADER, BOOKMARK_RESPONSE_HEADER, BookmarkParameter } from "../schemas/bookmark";

/** Either header works; the OpenAPI document lists both as alternatives. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer gdb_…`",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  // The bookmark header, declared once and referenced by every /api operation and response (routes/api-route.ts).
  app.openAPIRegistry.registerParameter(BOOKMARK_HEADER, BookmarkParameter);
  app.openAPIRegistry.registerComponent("headers", BOOKMARK_HEADER, BOOKMARK_RESPONSE_HEADER);
}
