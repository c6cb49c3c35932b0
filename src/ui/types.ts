// API shapes, taken (type-only) from the API's own zod schemas: nothing of src/core is bundled.
import type { z } from "@hono/zod-openapi";
import type { FieldError } from "../core/errors";
import type { Game } from "../core/http/schemas/game";
import type { IngestFile, IngestRun, IngestRunDetailSchema, PopulateResultSchema } from "../core/http/schemas/ingest";
import type { Platform } from "../core/domain/game";

export type { FieldError, Game, IngestFile, IngestRun, Platform };
export type IngestRunDetail = z.infer<typeof IngestRunDetailSchema>;
export type PopulateResult = z.infer<typeof PopulateResultSchema>;
export type FileStatus = IngestFile["status"];

export const PLATFORM_LABELS: Record<Platform, string> = { ios: "iOS", android: "Android" };

/** GET /api/stats (the schema is private to its route). */
export interface Stats {
  games: { total: number; byPlatform: Record<Platform, number> };
  lastIngestionAt: string | null;
  lastIngestionAgeSeconds: number | null;
}

/** GET /health */
export interface Health {
  status: "ok" | "unavailable";
  checks: { db: { status: "ok" | "fail"; latencyMs: number } };
  ingestion: { lastSuccessAt: string | null; ageSeconds: number | null } | null;
}

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  /** 403: the scope the route needs and the ones the key has. */
  requiredScope?: string;
  grantedScopes?: string[];
}
