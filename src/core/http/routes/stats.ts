import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { PLATFORMS } from "../../db/schema";
import { ageSeconds, collectStats } from "../../services/stats";
import type { AppEnv } from "../env";
import { requireScope } from "../middleware/authenticate";
import { WRITE_HEADERS } from "../schemas/headers";
import { NO_QUERY } from "../schemas/params";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/problem";
import { API_KEY_SECURITY } from "./security";

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

const statsRoute = createRoute({
  method: "get",
  path: "/api/stats",
  tags: ["Operations"],
  summary: "Game counts and ingestion freshness",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:read")],
  request: { query: NO_QUERY },
  responses: {
    200: { description: "Current figures (not cached)", headers: WRITE_HEADERS, content: { "application/json": { schema: StatsSchema } } },
    ...errorResponses(...AUTHENTICATED_ERRORS),
  },
});

export const statsRoutes = new OpenAPIHono<AppEnv>().openapi(statsRoute, async (c) => {
  const { deps } = c.env;
  const stats = await collectStats(deps.db);
  return c.json({ ...stats, lastIngestionAgeSeconds: ageSeconds(stats.lastIngestionAt, deps.now()) }, 200);
});
