import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { healthReport } from "../../services/health";
import type { AppEnv } from "../env";
import { errorResponses } from "../schemas/problem";

const CheckSchema = z.object({
  status: z.enum(["ok", "fail"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});

const HealthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.object({ db: CheckSchema }),
    ingestion: z
      .object({
        lastSuccessAt: z.string().nullable().openapi({ format: "date-time" }),
        ageSeconds: z.number().int().nullable().openapi({ description: "Seconds since the last file was ingested" }),
      })
      .nullable()
      .openapi({ description: "Null when the database could not be asked" }),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Liveness and dependency checks",
  description: "No API key needed. 503 when the database cannot be queried. Reports the age of the last successful ingestion (a stale ingestion does not make the service unhealthy; the cron alerts on it).",
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A dependency is failing", content: { "application/json": { schema: HealthSchema } } },
    ...errorResponses(),
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const report = await healthReport(c.env.deps);
  c.header("Cache-Control", "no-store");
  return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
});
