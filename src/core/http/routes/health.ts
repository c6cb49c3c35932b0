import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { healthReport } from "../../services/health";
import type { AppEnv } from "../env";
import { HealthSchema } from "../schemas/operations";
import { errorResponses } from "../schemas/problem";
import { json } from "./api-route";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Liveness and dependency checks",
  description: "No API key needed. 503 when the database cannot be queried. Reports the age of the last successful ingestion (a stale ingestion does not make the service unhealthy; the cron alerts on it).",
  responses: {
    200: { description: "Healthy", content: json(HealthSchema) },
    503: { description: "A dependency is failing", content: json(HealthSchema) },
    ...errorResponses(),
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const report = await healthReport(c.env.deps);
  c.header("Cache-Control", "no-store");
  return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
});
