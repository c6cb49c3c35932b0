import { z } from "@hono/zod-openapi";
import { PLATFORMS } from "../../domain/game";

const CheckSchema = z.object({
  status: z.enum(["ok", "fail"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});

/** GET /health. */
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

/** GET /api/stats. */
export const StatsSchema = z
  .object({
    games: z.object({
      total: z.number().int(),
      byPlatform: z.object(Object.fromEntries(PLATFORMS.map((p) => [p, z.number().int()])) as Record<(typeof PLATFORMS)[number], z.ZodNumber>),
    }),
    lastIngestionAt: z.string().nullable().openapi({ format: "date-time", description: "When the last file finished ingesting" }),
    lastIngestionAgeSeconds: z.number().int().nullable(),
  })
  .openapi("Stats");
