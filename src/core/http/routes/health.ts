import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { healthReport } from "../../services/health";
import type { AppEnv } from "../env";
import { HEALTH_EXAMPLE, UNHEALTHY_EXAMPLE } from "../schemas/examples";
import { WRITE_HEADERS } from "../schemas/headers";
import { HealthSchema } from "../schemas/operations";
import { errorResponses, type REQUEST_ID_HEADER } from "../schemas/problem";
import { json } from "./api-route";

const PROBLEMS = errorResponses();
const UNAVAILABLE = PROBLEMS[503]!;
// The route types take a union of OpenAPI versions' header maps; these are X-Request-Id's kind.
const UNAVAILABLE_HEADERS = UNAVAILABLE.headers as typeof REQUEST_ID_HEADER;

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  operationId: "getHealth",
  summary: "Liveness and dependency checks",
  // Public: no API key (Redocly's security-defined wants that said, not left unsaid).
  security: [],
  description: "No API key needed. 503 when the database cannot be queried (the report, `application/json`) or the service is misconfigured (a problem). Reports the age of the last successful ingestion (a stale ingestion does not make the service unhealthy; the cron alerts on it).",
  responses: {
    ...PROBLEMS,
    200: { description: "Healthy", headers: WRITE_HEADERS, content: json(HealthSchema, HEALTH_EXAMPLE) },
    // The report when the database fails; the problem every route answers when the service is misconfigured.
    503: { ...UNAVAILABLE, headers: UNAVAILABLE_HEADERS, content: { ...json(HealthSchema, UNHEALTHY_EXAMPLE), ...UNAVAILABLE.content } },
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const report = await healthReport(c.env.deps);
  c.header("Cache-Control", "no-store");
  return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
});
