import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ledger } from "../../ingest/ledger";
import { checkDatabase } from "../../services/health";
import { ageSeconds } from "../../services/stats";
import type { AppEnv } from "../env";
import { errorResponses } from "../schemas/problem";

const CheckSchema = z.object({
  status: z.enum(["ok", "fail"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});

export const HealthSchema = z
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
  const { deps } = c.env;
  const db = await checkDatabase(deps.db);
  c.header("Cache-Control", "no-store");
  if (db.status !== "ok") {
    deps.log.error("health check failed", { check: "db", error: db.error });
    // The reason stays in the log; clients learn only which check failed.
    return c.json({ status: "unavailable" as const, checks: { db: { status: db.status, latencyMs: db.latencyMs } }, ingestion: null }, 503);
  }
  const lastSuccessAt = await ledger(deps.db).lastSuccessAt();
  return c.json({ status: "ok" as const, checks: { db }, ingestion: { lastSuccessAt, ageSeconds: ageSeconds(lastSuccessAt, deps.now()) } }, 200);
});
