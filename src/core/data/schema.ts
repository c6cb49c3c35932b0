import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { PLATFORMS } from "../domain/game";
import { FILE_STATUSES, RUN_STATUSES, TRIGGERS, type RejectionSample } from "../domain/ingest";

export const games = sqliteTable(
  "games",
  {
    // AUTOINCREMENT: an id is never reused after a delete, so a client's stale id cannot
    // silently point at a different game.
    id: integer("id").primaryKey({ autoIncrement: true }),
    platform: text("platform", { enum: PLATFORMS }).notNull(),
    storeId: text("store_id").notNull(),
    bundleId: text("bundle_id"),
    name: text("name").notNull(),
    publisherId: text("publisher_id"),
    publisherName: text("publisher_name"),
    appVersion: text("app_version"),
    isPublished: integer("is_published", { mode: "boolean" }).notNull().default(false),
    iconUrl: text("icon_url"),
    rank: integer("rank"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    /**
     * Provenance of the game's ingested fields, internal (not part of the API's Game): the S3
     * key and ledger row of the file that last set them, and that file's timestamp
     * (src/core/domain/source-time.ts, ISO-8601 UTC with milliseconds). A file whose
     * (timestamp, ledger id) is older than the game's never overwrites it, so a backfill or a
     * replayed dead file cannot roll newer data back, whatever the keys look like.
     */
    sourceKey: text("source_key"),
    sourceAt: text("source_at"),
    sourceFileId: integer("source_file_id"),
  },
  (t) => [
    uniqueIndex("games_platform_store_id_uq").on(t.platform, t.storeId),
    // Keyset pagination filtered by platform walks this index instead of the table.
    index("games_platform_id_idx").on(t.platform, t.id),
    check("games_platform_ck", sql`${t.platform} IN ('ios', 'android')`),
  ],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** The first characters of the key, safe to display; never enough to use it. */
    prefix: text("prefix").notNull(),
    /** Hex SHA-256 of the whole key. The key itself is never stored. */
    hash: text("hash").notNull(),
    /** JSON array of scopes. */
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.hash)],
);

export type GameRow = typeof games.$inferSelect;
export type NewGameRow = typeof games.$inferInsert;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

export const ingestRuns = sqliteTable(
  "ingest_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    trigger: text("trigger", { enum: TRIGGERS }).notNull(),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    objectsListed: integer("objects_listed").notNull().default(0),
    filesEnqueued: integer("files_enqueued").notNull().default(0),
    error: text("error"),
    /** The API key that asked for a manual run (`admin` for the bootstrap key): the populate cooldown is per key. */
    requestedBy: text("requested_by"),
  },
  (t) => [index("ingest_runs_started_at_idx").on(t.startedAt)],
);

/** The ledger: one row per file version (S3 key + ETag) ever seen. */
export const ingestFiles = sqliteTable(
  "ingest_files",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The run that last enqueued this file. */
    runId: integer("run_id")
      .notNull()
      .references(() => ingestRuns.id),
    key: text("key").notNull(),
    etag: text("etag").notNull(),
    size: integer("size").notNull(),
    lastModified: text("last_modified"),
    /**
     * The S3 event's `sequencer` (upper-case hex) when an event recorded the version; it orders
     * the versions of one key, so a late event for an older version is not recorded. NULL for
     * versions the scan found first.
     */
    sequencer: text("sequencer"),
    status: text("status", { enum: FILE_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    recordsSeen: integer("records_seen"),
    recordsUpserted: integer("records_upserted"),
    recordsRejected: integer("records_rejected"),
    /** Game rows this file actually inserted or changed (0 when re-ingesting identical data). */
    gamesWritten: integer("games_written"),
    rejectionSamples: text("rejection_samples", { mode: "json" }).$type<RejectionSample[]>(),
    lastError: text("last_error"),
    /** When the queue accepted the message; NULL means a scan still has to send it. */
    sentAt: text("sent_at"),
    /** A scan that is sending the message right now (claims expire, so a crash cannot strand a file). */
    sendClaim: text("send_claim"),
    sendClaimedAt: text("send_claimed_at"),
    /** The claim that sent the current message; a dead letter from an older send is stale. */
    deliveryId: text("delivery_id"),
    /** The consumer invocation processing the file, until `leaseExpiresAt`. */
    leaseToken: text("lease_token"),
    leaseExpiresAt: text("lease_expires_at"),
    /**
     * Attempts whose consumer stopped without recording an outcome (its lease ran out: CPU,
     * memory or D1 query limit, a crash). Counted in the ledger because the queue cannot see
     * them; at MAX_ABANDONED_ATTEMPTS (ingest/bounds.ts) the file is `dead`. Reset by a retry.
     */
    abandonedAttempts: integer("abandoned_attempts").notNull().default(0),
    /** When an operator last put the file back (retry); the overdue clock runs from here, or from `createdAt`. */
    requeuedAt: text("requeued_at"),
    /** When the overdue alert went out for the current round, so it goes out once. */
    overdueAlertedAt: text("overdue_alerted_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
  },
  (t) => [
    uniqueIndex("ingest_files_key_etag_uq").on(t.key, t.etag),
    index("ingest_files_status_idx").on(t.status, t.id),
    index("ingest_files_run_id_idx").on(t.runId),
    index("ingest_files_finished_at_idx").on(t.status, t.finishedAt),
    check("ingest_files_status_ck", sql`${t.status} IN ('queued', 'processing', 'done', 'failed', 'dead', 'superseded')`),
  ],
);

/**
 * Games parsed from one file, one row per game (the last record wins, rank is the best seen),
 * kept until the file is merged into `games` in one atomic batch. Keyed by the consumer's lease
 * so that two deliveries of the same file never mix rows.
 */
export const ingestStaging = sqliteTable(
  "ingest_staging",
  {
    leaseToken: text("lease_token").notNull(),
    fileId: integer("file_id").notNull(),
    platform: text("platform", { enum: PLATFORMS }).notNull(),
    storeId: text("store_id").notNull(),
    name: text("name").notNull(),
    bundleId: text("bundle_id"),
    publisherId: text("publisher_id"),
    publisherName: text("publisher_name"),
    appVersion: text("app_version"),
    iconUrl: text("icon_url"),
    rank: integer("rank"),
  },
  (t) => [
    primaryKey({ columns: [t.leaseToken, t.platform, t.storeId] }),
    index("ingest_staging_file_id_idx").on(t.fileId),
  ],
);

export type IngestRunRow = typeof ingestRuns.$inferSelect;
export type IngestFileRow = typeof ingestFiles.$inferSelect;
