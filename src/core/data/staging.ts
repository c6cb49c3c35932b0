import { and, eq, exists, sql, type SQL } from "drizzle-orm";
import type { Database } from "./database";
import type { GameRecord } from "../domain/game";
import { fileTimestamp } from "../domain/source-time";
import { createLedger, heldBy, type FileOutcome } from "./ledger";
import { games, ingestFiles, ingestStaging, type IngestFileRow } from "./schema";

/** Columns a data file provides, in the order records are encoded for staging. */
const FILE_COLUMNS = ["platform", "store_id", "name", "bundle_id", "publisher_id", "publisher_name", "app_version", "icon_url", "rank"] as const;
/** Columns the merge may change on an existing game (the natural key never changes). */
const MERGED_COLUMNS = FILE_COLUMNS.filter((c) => c !== "platform" && c !== "store_id");

/** Drizzle property names of the merged columns, for `onConflictDoUpdate({ set })`. */
const COLUMN_PROPERTY: Record<(typeof MERGED_COLUMNS)[number], string> = {
  name: "name",
  bundle_id: "bundleId",
  publisher_id: "publisherId",
  publisher_name: "publisherName",
  app_version: "appVersion",
  icon_url: "iconUrl",
  rank: "rank",
};

const encode = (g: GameRecord) => [g.platform, g.storeId, g.name, g.bundleId, g.publisherId, g.publisherName, g.appVersion, g.iconUrl, g.rank];
const raw = (text: string) => sql.raw(text);

/**
 * "Does `left` differ from `right`?" over every merged column. Ingested games are published,
 * so a hidden game that reappears in a ranking counts as changed too.
 */
function differs(left: string, right: string): SQL {
  const columns = MERGED_COLUMNS.map((c) => `${left}.${c} IS NOT ${right}.${c}`);
  return raw(`(${columns.join(" OR ")} OR ${left}.is_published IS NOT 1)`);
}

/**
 * Is a file with timestamp `incomingAt` and ledger id `incomingFileId` newer than the one
 * `existing` is dated by? Files are ordered by their timestamp (source-time.ts: a date in the
 * key, else LastModified), never by key text, so an old file ingested late (a backfill, a
 * replayed dead file) adds the games it alone has but does not roll newer rankings back. Equal
 * timestamps are ordered by ledger id (the file version the scanner recorded later wins), so
 * the end state does not depend on the order files are processed in. `orSame`: the same file
 * applied again counts too.
 */
function isNewer(existing: string, incomingAt: SQL, incomingFileId: SQL, orSame: boolean): SQL {
  const e = raw(existing);
  const tie = orSame ? raw(">=") : raw(">");
  return sql`(${e}.source_at IS NULL OR ${incomingAt} > ${e}.source_at
    OR (${incomingAt} = ${e}.source_at AND ${incomingFileId} ${tie} coalesce(${e}.source_file_id, 0)))`;
}

/** Should a file overwrite the game `existing`? Only if the game differs and the file is not older. */
function shouldOverwrite(existing: string, incoming: string, incomingAt: SQL, incomingFileId: SQL): SQL {
  return sql`(${differs(existing, incoming)} AND ${isNewer(existing, incomingAt, incomingFileId, true)})`;
}

/** One game as a staging row: a JSON array of FILE_COLUMNS, in their order. */
export const stagingJson = (game: GameRecord): string => JSON.stringify(encode(game));

/** Any UTF-16 code unit that is not ASCII. */
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * UTF-8 length of `text` without encoding it. Most rows are ASCII, where it is the string's
 * length: a regular-expression test finds that in native code, about a third of the cost of
 * counting code units in a loop (docs/BENCHMARKS.md, "Staging and commit").
 */
function utf8Length(text: string): number {
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * Packs staging rows (`stagingJson`) into JSON-array payloads of at most `maxBytes` UTF-8 bytes,
 * each the single bound value of one staging statement: as few statements as D1's limit on a
 * value allows (2,000,000 bytes), whatever the size of the records. A row is never split; one
 * larger than `maxBytes` (impossible for validated games, which are a few KB at most) would be
 * a payload of its own.
 */
export class StagingPayloads {
  #rows: string[] = [];
  #bytes = 2; // "[" and "]"

  constructor(private readonly maxBytes: number) {}

  /** Adds a row; returns the payload it closed when the row did not fit in it. */
  add(row: string): string | undefined {
    const size = utf8Length(row);
    // Each row after the first costs a comma too.
    const full = this.#rows.length > 0 && this.#bytes + 1 + size > this.maxBytes ? this.take() : undefined;
    this.#bytes += (this.#rows.length > 0 ? 1 : 0) + size;
    this.#rows.push(row);
    return full;
  }

  /** The rows added since the last payload, as one (undefined when there are none). */
  take(): string | undefined {
    if (this.#rows.length === 0) return undefined;
    const payload = `[${this.#rows.join(",")}]`;
    this.#rows = [];
    this.#bytes = 2;
    return payload;
  }
}

/**
 * Adds a payload of staging rows (`StagingPayloads`) to the file's staging area. One bound
 * parameter carries them all (json_each unpacks it), which keeps every statement far below D1's
 * limit of 100 bound parameters and its SQL text constant. A game seen twice keeps its last
 * record and best (lowest) rank.
 */
export async function stageGames(db: Database, lease: string, fileId: number, payload: string): Promise<void> {
  const extract = FILE_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ");
  await db.run(sql`
    INSERT INTO ingest_staging (lease_token, file_id, ${raw(FILE_COLUMNS.join(", "))})
    SELECT ${lease}, ${fileId}, ${raw(extract)} FROM json_each(${payload}) WHERE true
    ON CONFLICT (lease_token, platform, store_id) DO UPDATE SET
      ${raw(MERGED_COLUMNS.filter((c) => c !== "rank").map((c) => `${c} = excluded.${c}`).join(", "))},
      rank = CASE WHEN ingest_staging.rank IS NULL THEN excluded.rank
                  WHEN excluded.rank IS NULL THEN ingest_staging.rank
                  ELSE min(ingest_staging.rank, excluded.rank) END`);
}

export interface Applied {
  recordsUpserted: number;
  gamesWritten: number;
}

/**
 * Merges the staged games into `games` and marks the file done, in ONE atomic D1 batch: either
 * the whole file lands together with its ledger row, or nothing does. Every statement is
 * conditioned on this consumer still holding the file's lease, so a delivery that lost its
 * lease (to a redelivery after expiry) changes nothing. Only games whose content differs are
 * merged; a newer file that repeats a game's values only re-dates it (its provenance columns),
 * and re-applying the same file writes no game rows at all (nor `sqlite_sequence`): only its
 * staging rows and the ledger. Returns undefined when the lease was lost.
 */
export async function commitFile(
  db: Database,
  lease: string,
  file: Pick<IngestFileRow, "id" | "key" | "lastModified" | "createdAt">,
  outcome: FileOutcome,
  now: Date,
): Promise<Applied | undefined> {
  const at = now.toISOString();
  const fileId = file.id;
  const sourceAt = fileTimestamp(file);
  const newer = (existing: string, incoming: string) => shouldOverwrite(existing, incoming, sql`${sourceAt}`, sql`${fileId}`);
  const heldByUs = heldBy(fileId, lease);
  const staged = db
    // Every column of `games`, in table order (drizzle checks); a NULL id lets SQLite assign it.
    .select({
      id: sql<number>`NULL`.as("id"),
      platform: ingestStaging.platform,
      storeId: ingestStaging.storeId,
      bundleId: ingestStaging.bundleId,
      name: ingestStaging.name,
      publisherId: ingestStaging.publisherId,
      publisherName: ingestStaging.publisherName,
      appVersion: ingestStaging.appVersion,
      isPublished: sql<boolean>`1`.as("is_published"),
      iconUrl: ingestStaging.iconUrl,
      rank: ingestStaging.rank,
      createdAt: sql<string>`${at}`.as("created_at"),
      updatedAt: sql<string>`${at}`.as("updated_at"),
      sourceKey: sql<string>`${file.key}`.as("source_key"),
      sourceAt: sql<string>`${sourceAt}`.as("source_at"),
      sourceFileId: sql<number>`${fileId}`.as("source_file_id"),
    })
    .from(ingestStaging)
    .where(
      and(
        eq(ingestStaging.leaseToken, lease),
        exists(db.select({ one: sql`1` }).from(ingestFiles).where(heldByUs)),
        // Only games the upsert below would insert or change. The others would be no-ops, but
        // each conflicting row still draws an AUTOINCREMENT id, so the statement would write
        // sqlite_sequence: an identical file would not be a write-free re-ingest.
        sql`NOT EXISTS (SELECT 1 FROM games g WHERE g.platform = ingest_staging.platform AND g.store_id = ingest_staging.store_id
              AND NOT ${newer("g", "ingest_staging")})`,
      ),
    );

  // Drizzle query builders rather than raw SQL: drizzle's D1 batch cannot bind raw statements.
  const [, , , , done] = await db.batch([
    // Counted before the merge, inside the same transaction, so the figures match what it writes.
    db
      .update(ingestFiles)
      .set({
        recordsUpserted: sql`(SELECT count(*) FROM ingest_staging WHERE lease_token = ${lease})`,
        gamesWritten: sql`(
          SELECT count(*) FROM ingest_staging s
          LEFT JOIN games g ON g.platform = s.platform AND g.store_id = s.store_id
          WHERE s.lease_token = ${lease} AND (g.id IS NULL OR ${newer("g", "s")}))`,
      })
      .where(heldByUs),
    // A newer file that repeats a game's values changes nothing the API shows, but it is now
    // the file the game is known to be current as of: re-date the game, so that a file from
    // before it, ingested late, cannot roll those values back. Not a content change: updated_at
    // and the data version stay. Before the merge, which then sees these games as unchanged.
    db
      .update(games)
      .set({ sourceKey: file.key, sourceAt, sourceFileId: fileId })
      .from(ingestStaging)
      .where(
        and(
          eq(ingestStaging.leaseToken, lease),
          sql`${ingestStaging.platform} = ${games.platform} AND ${ingestStaging.storeId} = ${games.storeId}`,
          sql`NOT ${differs("games", "ingest_staging")}`,
          isNewer("games", sql`${sourceAt}`, sql`${fileId}`, false),
          exists(db.select({ one: sql`1` }).from(ingestFiles).where(heldByUs)),
        ),
      ),
    db
      .insert(games)
      .select(staged)
      .onConflictDoUpdate({
        target: [games.platform, games.storeId],
        set: {
          ...Object.fromEntries(MERGED_COLUMNS.map((c) => [COLUMN_PROPERTY[c], sql.raw(`excluded.${c}`)])),
          isPublished: true,
          updatedAt: sql.raw("excluded.updated_at"),
          sourceKey: sql.raw("excluded.source_key"),
          sourceAt: sql.raw("excluded.source_at"),
          sourceFileId: sql.raw("excluded.source_file_id"),
        },
        setWhere: newer("games", "excluded"),
      }),
    db.delete(ingestStaging).where(eq(ingestStaging.leaseToken, lease)),
    createLedger(db).complete(fileId, lease, outcome, now),
  ]);
  const row = done[0];
  return row ? { recordsUpserted: row.recordsUpserted ?? 0, gamesWritten: row.gamesWritten ?? 0 } : undefined;
}

/** Drops staged rows that earlier, crashed or superseded attempts left behind for this file. */
export async function discardOtherAttempts(db: Database, fileId: number, lease: string): Promise<void> {
  await db.run(sql`DELETE FROM ingest_staging WHERE file_id = ${fileId} AND lease_token <> ${lease}`);
}

/** Drops this attempt's staged rows after it failed. */
export async function discardAttempt(db: Database, lease: string): Promise<void> {
  await db.run(sql`DELETE FROM ingest_staging WHERE lease_token = ${lease}`);
}

/** Staging rows deleted per statement, and statements per sweep: bounded work per invocation. */
const STAGING_ROWS_PER_DELETE = 10_000;
const STAGING_DELETES_PER_SWEEP = 20;

/**
 * Deletes staging rows no live attempt owns: rows whose lease is not the current lease of a
 * `processing` file (an attempt that was killed, or lost its lease). A file's next claim
 * already drops its own (`discardOtherAttempts`); this catches files that never
 * get one (dead, or done by a later attempt). Bounded per sweep; the rest goes next time.
 */
export async function discardOrphanedStaging(db: Database): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < STAGING_DELETES_PER_SWEEP; i++) {
    const result = await db.run(sql`
      DELETE FROM ingest_staging WHERE rowid IN (
        SELECT s.rowid FROM ingest_staging s
        WHERE NOT EXISTS (SELECT 1 FROM ingest_files f WHERE f.status = 'processing' AND f.lease_token = s.lease_token)
        LIMIT ${STAGING_ROWS_PER_DELETE})`);
    const changes = (result as { meta?: { changes?: number } }).meta?.changes ?? 0;
    deleted += changes;
    if (changes < STAGING_ROWS_PER_DELETE) break;
  }
  return deleted;
}
