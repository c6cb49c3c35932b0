import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { checkDatabase } from "../../services/health";
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
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Liveness and dependency checks",
  description: "No API key needed. 503 when the database cannot be queried.",
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A dependency is failing", content: { "application/json": { schema: HealthSchema } } },
    ...errorResponses(),
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const db = await checkDatabase(c.env.deps.db);
  c.header("Cache-Control", "no-store");
  if (db.status !== "ok") {
    c.env.deps.log.error("health check failed", { check: "db", error: db.error });
    // The reason stays in the log; clients learn only which check failed.
    return c.json({ status: "unavailable" as const, checks: { db: { status: db.status, latencyMs: db.latencyMs } } }, 503);
  }
  return c.json({ status: "ok" as const, checks: { db } }, 200);
});
