// API shapes, taken (type-only) from the API's own zod schemas: nothing of src/core is bundled.
import type { z } from "@hono/zod-openapi";
import type { FieldError } from "../core/errors";
import type { LimitCode } from "../core/ingest/limits";
import type { HealthSchema, StatsSchema } from "../core/http/schemas/operations";
import type { Game } from "../core/http/schemas/game";
import type { IngestFile, IngestRun, IngestRunDetailSchema, PopulateResultSchema } from "../core/http/schemas/ingest";
import type { ProblemSchema } from "../core/http/schemas/problem";
import type { Platform } from "../core/domain/game";

export type { FieldError, Game, IngestFile, IngestRun, LimitCode, Platform };
export type IngestRunDetail = z.infer<typeof IngestRunDetailSchema>;
export type PopulateResult = z.infer<typeof PopulateResultSchema>;
export type FileStatus = IngestFile["status"];
export type RunTotals = IngestRun["totals"];
/** GET /api/stats */
export type Stats = z.infer<typeof StatsSchema>;
/** GET /health (200 and 503 alike) */
export type Health = z.infer<typeof HealthSchema>;

/** RFC 9457 problem details as the API sends them; the UI makes its own for network failures, without `instance` or `requestId`. */
export type Problem = Omit<z.infer<typeof ProblemSchema>, "instance" | "requestId"> & Partial<Pick<z.infer<typeof ProblemSchema>, "instance" | "requestId">>;

export const PLATFORM_LABELS: Record<Platform, string> = { ios: "iOS", android: "Android" };
