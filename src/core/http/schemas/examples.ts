import type { z } from "@hono/zod-openapi";
import type { ApiKeyInputSchema, ApiKeySchema, CreatedApiKeySchema } from "./api-key";
import type { DeletedSchema, Game, GameInputSchema, GamePatchSchema } from "./game";
import type { IngestFile, IngestRun, PopulateResultSchema, RunTotalsSchema } from "./ingest";
import type { HealthSchema, StatsSchema } from "./operations";

// The request and response examples of every operation in the OpenAPI document (one story: game
// 42, run 12 that ingested two files). Each is typed by its schema, so a schema change that
// leaves an example behind does not compile; Redocly (`no-invalid-media-type-examples`, `npm run
// lint:openapi`) checks them against the document's JSON Schemas as well.

type Of<T extends z.ZodType> = z.input<T>;

export const GAME_INPUT_EXAMPLE: Of<typeof GameInputSchema> = {
  name: "Rocket League Sideswipe",
  platform: "ios",
  storeId: "1549027048",
  publisherId: "1500945164",
  publisherName: "Psyonix LLC",
  bundleId: "com.psyonixllc.mesa",
  appVersion: "1.0.3",
  isPublished: true,
  iconUrl: "https://cdn.example.com/icons/1549027048.png",
  rank: 3,
};

export const GAME_EXAMPLE: Game = {
  id: 42,
  publisherId: "1500945164",
  name: "Rocket League Sideswipe",
  platform: "ios",
  storeId: "1549027048",
  bundleId: "com.psyonixllc.mesa",
  appVersion: "1.0.3",
  isPublished: true,
  createdAt: "2021-12-09T03:00:12.482Z",
  updatedAt: "2021-12-10T03:01:40.117Z",
  publisherName: "Psyonix LLC",
  iconUrl: "https://cdn.example.com/icons/1549027048.png",
  rank: 3,
};

export const GAMES_EXAMPLE: Game[] = [
  GAME_EXAMPLE,
  {
    ...GAME_EXAMPLE,
    id: 43,
    name: "Minecraft",
    platform: "android",
    storeId: "com.mojang.minecraftpe",
    bundleId: "com.mojang.minecraftpe",
    publisherId: "Mojang",
    publisherName: "Mojang",
    appVersion: "1.18.2",
    iconUrl: null,
    rank: 1,
  },
];

export const GAME_PATCH_EXAMPLE: Of<typeof GamePatchSchema> = { appVersion: "1.1.0", rank: 2 };

export const DELETED_EXAMPLE: Of<typeof DeletedSchema> = { id: 42 };

export const SEARCH_EXAMPLE = { name: "craft", platform: "android" } as const;

export const API_KEY_INPUT_EXAMPLE: Of<typeof ApiKeyInputSchema> = { name: "analytics-team", scopes: ["games:read", "games:write"] };

export const API_KEY_EXAMPLE: Of<typeof ApiKeySchema> = {
  id: 7,
  name: "analytics-team",
  prefix: "gdb_3kT9xQ2m",
  scopes: ["games:read", "games:write"],
  createdAt: "2021-12-01T09:30:00.000Z",
  lastUsedAt: "2021-12-10T08:12:55.301Z",
  revokedAt: null,
};

const { lastUsedAt: _lastUsed, revokedAt: _revoked, ...CREATED_KEY_FIELDS } = API_KEY_EXAMPLE;

export const CREATED_API_KEY_EXAMPLE: Of<typeof CreatedApiKeySchema> = {
  ...CREATED_KEY_FIELDS,
  // Not a working key (its checksum is wrong): the shape of one.
  key: "gdb_3kT9xQ2mEXAMPLEnotAREALkey000000000",
};

const FILE_EXAMPLE: IngestFile = {
  id: 31,
  runId: 12,
  key: "daily/2021-12-09/ios.top100.json",
  etag: '"5d41402abc4b2a76b9719d911017c592"',
  size: 1048576,
  lastModified: "2021-12-09T02:55:03.000Z",
  status: "done",
  attempts: 1,
  recordsSeen: 300,
  recordsUpserted: 287,
  recordsRejected: 1,
  gamesWritten: 287,
  rejectionSamples: [{ index: 118, reason: "name: Required" }],
  lastError: null,
  sentAt: "2021-12-09T03:00:01.210Z",
  createdAt: "2021-12-09T03:00:00.950Z",
  updatedAt: "2021-12-09T03:00:09.774Z",
  startedAt: "2021-12-09T03:00:02.004Z",
  finishedAt: "2021-12-09T03:00:09.774Z",
};

export const FILES_EXAMPLE: IngestFile[] = [
  FILE_EXAMPLE,
  {
    ...FILE_EXAMPLE,
    id: 32,
    key: "daily/2021-12-09/android.top100.json",
    etag: '"7d793037a0760186574b0282f2f435e7"',
    status: "failed",
    recordsSeen: null,
    recordsUpserted: null,
    recordsRejected: null,
    gamesWritten: null,
    rejectionSamples: null,
    lastError: "malformed-json: daily/2021-12-09/android.top100.json: invalid JSON: Unexpected end of JSON input",
    finishedAt: "2021-12-09T03:00:04.310Z",
    updatedAt: "2021-12-09T03:00:04.310Z",
  },
];

export const RETRIED_FILE_EXAMPLE: IngestFile = {
  ...FILES_EXAMPLE[1]!,
  status: "queued",
  sentAt: "2021-12-09T10:15:00.020Z",
  updatedAt: "2021-12-09T10:15:00.020Z",
  startedAt: null,
  finishedAt: null,
};

const TOTALS_EXAMPLE: Of<typeof RunTotalsSchema> = {
  files: 2,
  queued: 0,
  processing: 0,
  done: 1,
  failed: 1,
  dead: 0,
  superseded: 0,
  recordsSeen: 300,
  recordsUpserted: 287,
  recordsRejected: 1,
  gamesWritten: 287,
};

export const RUN_EXAMPLE: IngestRun = {
  id: 12,
  trigger: "cron",
  status: "succeeded",
  inProgress: false,
  startedAt: "2021-12-09T03:00:00.012Z",
  finishedAt: "2021-12-09T03:00:01.377Z",
  objectsListed: 2,
  filesEnqueued: 2,
  error: null,
  totals: TOTALS_EXAMPLE,
};

export const RUN_DETAIL_EXAMPLE = { ...RUN_EXAMPLE, files: FILES_EXAMPLE };

export const POPULATE_EXAMPLE: Of<typeof PopulateResultSchema> = {
  runId: 12,
  filesEnqueued: 2,
  newFiles: 2,
  objectsListed: 2,
  statusUrl: "/api/ingest/runs/12",
};

export const STATS_EXAMPLE: Of<typeof StatsSchema> = {
  games: { total: 579, byPlatform: { ios: 287, android: 292 } },
  lastIngestionAt: "2021-12-09T03:00:09.774Z",
  lastIngestionAgeSeconds: 3600,
};

export const HEALTH_EXAMPLE: Of<typeof HealthSchema> = {
  status: "ok",
  checks: { db: { status: "ok", latencyMs: 2 } },
  ingestion: { lastSuccessAt: "2021-12-09T03:00:09.774Z", ageSeconds: 3600 },
};

export const UNHEALTHY_EXAMPLE: Of<typeof HealthSchema> = {
  status: "unavailable",
  checks: { db: { status: "fail", latencyMs: 5003 } },
  ingestion: null,
};
