import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { healthReport } from "../../services/health";
import type { AppEnv } from "../env";
import { HEALTH_EXAMPLE, UNHEALTHY_EXAMPLE } from "../schemas/examples";
import { HealthSchema } from "../schemas/operations";
import { errorResponses } from "../schemas/problem";
import { json } from "./api-route";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  operationId: "getHealth",
  summary: "Liveness and dependency checks",
  // Public: no API key (Redocly's security-defined wants that said, not left unsaid).
  security: [],
  description: "No API key needed. 503 when the database cannot be queried. Reports the age of the last successful ingestion (a stale ingestion does not make the service unhealthy; the cron alerts on it).",
  responses: {
    200: { description: "Healthy", content: json(HealthSchema, HEALTH_EXAMPLE) },
    503: { description: "A dependency is failing", content: json(HealthSchema, UNHEALTHY_EXAMPLE) },
    ...errorResponses(),
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const report = await healthReport(c.env.deps);
  c.header("Cache-Control", "no-store");
  return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
});
