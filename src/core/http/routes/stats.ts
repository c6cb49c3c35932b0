import { OpenAPIHono } from "@hono/zod-openapi";
import { ageSeconds, collectStats } from "../../services/stats";
import type { AppEnv } from "../env";
import { WRITE_HEADERS } from "../schemas/headers";
import { STATS_EXAMPLE } from "../schemas/examples";
import { StatsSchema } from "../schemas/operations";
import { NO_QUERY } from "../schemas/params";
import { apiRoute, json } from "./api-route";

const statsRoute = apiRoute("games:read", {
  method: "get",
  path: "/api/stats",
  tags: ["Operations"],
  operationId: "getStats",
  summary: "Game counts and ingestion freshness",
  request: { query: NO_QUERY },
  responses: { 200: { description: "Current figures (not cached)", headers: WRITE_HEADERS, content: json(StatsSchema, STATS_EXAMPLE) } },
});

export const statsRoutes = new OpenAPIHono<AppEnv>().openapi(statsRoute, async (c) => {
  const { deps } = c.env;
  const stats = await collectStats(deps.db);
  return c.json({ ...stats, lastIngestionAgeSeconds: ageSeconds(stats.lastIngestionAt, deps.now()) }, 200);
});
