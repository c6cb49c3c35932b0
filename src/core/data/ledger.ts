import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { abandonedReason, MAX_ABANDONED_ATTEMPTS, type RejectionSample, type Trigger } from "../domain/ingest";
import { MAX_BOUND_PARAMETERS, type Database } from "./database";
import { ingestFiles, ingestRuns, type IngestFileRow, type IngestRunRow } from "./schema";

/**
 * The ingestion ledger's state machine: runs, and one row per file version (key + ETag) whose
 * `status` goes
 *
 *   queued ──claimFile──▶ processing ──complete──▶ done
 *     ▲  ▲                 │   │ ├──supersede──▶ superseded (replaced in S3 before it was read)
 *     ▲  ▲                 │   │ │
 *     │  └──release────────┘   │ └──fail──▶ failed ─┐
 *     │  └──recoverAbandoned───┤ (lease ran out)     │
 *     │                        └─(3rd)──▶ dead ◀─────┼── markDead (dead letter)
 *     └──────────── requeue (operator's retry) ◀─────┘
 *
 * plus the send bookkeeping of queued files (claimSendable → markSent | releaseClaim) and the
 * overdue mark. Every transition is ONE conditional UPDATE (compare-and-set): the conditions
 * below say when a row may move, and concurrent scans, sweeps and redelivered messages cannot
 * both win. Nothing else in the code writes `ingest_files.status`. Read-only queries for the API
 * are in ledger-reads.ts; the staging area and the merge into `games` in staging.ts.
 */

const iso = (date: Date) => date.toISOString();

/** Ledger rows inserted per statement: one JSON parameter each, far below D1's limits. */
const OBJECTS_PER_STATEMENT = 500;
/** Ids per `claimSendable` statement: its other bound values are the claim, two times, the run and the two bounds' times. */
const IDS_PER_CLAIM = MAX_BOUND_PARAMETERS - 10;
/** Ids per `markSent` statement: its five other bound values are sent_at, send_claim, send_claimed_at, delivery_id and the claim. */
const IDS_PER_MARK_SENT = MAX_BOUND_PARAMETERS - 5;

// ── When a row may move ───────────────────────────────────────────────────────────────────────

/** The consumer holding lease `lease` still holds file `id`. */
export const heldBy = (id: number, lease: string): SQL =>
  and(eq(ingestFiles.id, id), eq(ingestFiles.leaseToken, lease), eq(ingestFiles.status, "processing"))!;

/** Processing, but its consumer's lease ran out: the attempt stopped without an outcome. */
const leaseRanOut = (now: Date): SQL =>
  and(eq(ingestFiles.status, "processing"), or(isNull(ingestFiles.leaseExpiresAt), lt(ingestFiles.leaseExpiresAt, iso(now))))!;

/** Queued, and its message never went out or was sent before `resendBefore` (lost). */
const messageMissing = (resendBefore: Date): SQL =>
  and(eq(ingestFiles.status, "queued"), or(isNull(ingestFiles.sentAt), lt(ingestFiles.sentAt, iso(resendBefore))))!;

/** Failed or dead: finished without its games. */
const ended = sql`${ingestFiles.status} IN ('failed', 'dead')`;

/** One more abandoned attempt would use the file's last one. */
const lastAbandonedAttempt = sql`${ingestFiles.abandonedAttempts} + 1 >= ${MAX_ABANDONED_ATTEMPTS}`;

/** A manual scan by `requestedBy` started after `since`. */
const manualRunSince = (requestedBy: string, since: Date) =>
  sql`SELECT 1 FROM ingest_runs WHERE trigger = 'manual' AND requested_by = ${requestedBy} AND started_at > ${iso(since)}`;

/** One file version to record, as ListObjectsV2 lists it (or an event announces it). */
export interface LedgerObject {
  key: string;
  /** Quoted, as ListObjectsV2 gives it. */
  etag: string;
  size: number;
  lastModified: string | null;
  /** The S3 event's sequencer (upper-case hex, ≤ 64 digits), when an event announced the version. */
  sequencer?: string | null;
}

const SEQUENCER_WIDTH = 64;
/**
 * `a` is a later sequencer of the same key than `b` (both present): right-padded with zeros to
 * equal length, then compared as text — AWS's rule (ingest/s3/event-objects.ts, compareSequencers).
 */
const sequencerAfter = (a: SQL, b: SQL): SQL => {
  const zeros = sql.raw(`'${"0".repeat(SEQUENCER_WIDTH)}'`);
  const width = sql`max(length(${a}), length(${b}))`;
  return sql`${a} IS NOT NULL AND ${b} IS NOT NULL AND substr(${a} || ${zeros}, 1, ${width}) > substr(${b} || ${zeros}, 1, ${width})`;
};

/** What a finished file's row says about it; `complete` writes it. */
export interface FileOutcome {
  recordsSeen: number;
  recordsRejected: number;
  rejectionSamples: RejectionSample[];
}

export function createLedger(db: Database) {
  return {
    // ── Runs ────────────────────────────────────────────────────────────────────────────────

    async createRun(trigger: Trigger, now: Date): Promise<IngestRunRow> {
      const [run] = await db.insert(ingestRuns).values({ trigger, status: "running", startedAt: iso(now) }).returning();
      return run!;
    },

    /**
     * Starts a manual run for `requestedBy` unless that key started one after `since`: one
     * INSERT … WHERE NOT EXISTS, so two requests racing cannot both start one. Returns the
     * new run, or the recent run that blocks it.
     */
    async createManualRun(requestedBy: string, now: Date, since: Date): Promise<{ run: IngestRunRow } | { recent: IngestRunRow }> {
      const inserted = await db.all<{ id: number }>(sql`
        INSERT INTO ingest_runs (trigger, status, started_at, requested_by)
        SELECT 'manual', 'running', ${iso(now)}, ${requestedBy}
        WHERE NOT EXISTS (${manualRunSince(requestedBy, since)})
        RETURNING id`);
      const [row] = await db
        .select()
        .from(ingestRuns)
        .where(inserted[0] ? eq(ingestRuns.id, inserted[0].id) : and(eq(ingestRuns.trigger, "manual"), eq(ingestRuns.requestedBy, requestedBy)))
        .orderBy(desc(ingestRuns.startedAt))
        .limit(1);
      return inserted[0] ? { run: row! } : { recent: row! };
    },

    /**
     * Deletes run `id` if no file names it (an event that recorded and sent nothing: a duplicate
     * delivery), so repeated deliveries leave no empty runs behind. True when it was deleted.
     */
    async discardEmptyRun(id: number): Promise<boolean> {
      const rows = await db.all<{ id: number }>(sql`
        DELETE FROM ingest_runs WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM ingest_files WHERE run_id = ${id}) RETURNING id`);
      return rows.length > 0;
    },

    async finishRun(
      id: number,
      outcome: { status: "succeeded" | "failed"; objectsListed: number; filesEnqueued: number; error?: string },
      now: Date,
    ): Promise<void> {
      await db
        .update(ingestRuns)
        .set({ ...outcome, error: outcome.error ?? null, finishedAt: iso(now) })
        .where(eq(ingestRuns.id, id));
    },

    // ── Into the ledger, and onto the queue ───────────────────────────────────────────────────

    /**
     * Records file versions not seen before as `queued`; returns how many were new. A version
     * with a sequencer older than one already recorded for its key (a late event for a version
     * S3 has since replaced) is not recorded.
     */
    async recordObjects(runId: number, objects: readonly LedgerObject[], now: Date): Promise<number> {
      let inserted = 0;
      for (let i = 0; i < objects.length; i += OBJECTS_PER_STATEMENT) {
        const chunk = objects.slice(i, i + OBJECTS_PER_STATEMENT).map((o) => [o.key, o.etag, o.size, o.lastModified, o.sequencer ?? null]);
        const rows = await db.all<{ id: number }>(sql`
          INSERT INTO ingest_files (run_id, key, etag, size, last_modified, sequencer, status, created_at, updated_at)
          SELECT ${runId}, o.key, o.etag, o.size, o.last_modified, o.sequencer, 'queued', ${iso(now)}, ${iso(now)}
          FROM (SELECT json_extract(value, '$[0]') AS key, json_extract(value, '$[1]') AS etag, json_extract(value, '$[2]') AS size,
                       json_extract(value, '$[3]') AS last_modified, json_extract(value, '$[4]') AS sequencer
                FROM json_each(${JSON.stringify(chunk)})) AS o
          WHERE NOT EXISTS (
            SELECT 1 FROM ingest_files AS f
            WHERE f.key = o.key AND ${sequencerAfter(sql`f.sequencer`, sql`o.sequencer`)})
          ON CONFLICT (key, etag) DO NOTHING
          RETURNING id`);
        inserted += rows.length;
      }
      return inserted;
    },

    /** The ledger ids of these file versions (key, ETag), where recorded; in no particular order. */
    async idsOf(objects: readonly Pick<LedgerObject, "key" | "etag">[]): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < objects.length; i += OBJECTS_PER_STATEMENT) {
        const chunk = objects.slice(i, i + OBJECTS_PER_STATEMENT).map((o) => [o.key, o.etag]);
        const rows = await db.all<{ id: number }>(sql`
          SELECT f.id AS id FROM json_each(${JSON.stringify(chunk)}) AS j
          JOIN ingest_files AS f ON f.key = json_extract(j.value, '$[0]') AND f.etag = json_extract(j.value, '$[1]')`);
        ids.push(...rows.map((r) => r.id));
      }
      return [...new Set(ids)];
    },

    /**
     * Claims every queued file a queue should receive now: its message is missing (never sent,
     * or sent before `resendBefore` and still not taken) — unless another sender claimed it
     * within `claimTtlMs`. Each file is claimed by exactly one caller. `only` narrows it to these
     * files (the retry API, an event); `runId` records the run that sends.
     */
    async claimSendable(
      claim: string,
      now: Date,
      options: { resendBefore: Date; claimTtlMs: number; runId?: number | undefined; only?: readonly number[] | undefined },
    ): Promise<IngestFileRow[]> {
      const claimOf = (ids: readonly number[] | undefined) =>
        db
          .update(ingestFiles)
          .set({ sendClaim: claim, sendClaimedAt: iso(now), updatedAt: iso(now), ...(options.runId !== undefined ? { runId: options.runId } : {}) })
          .where(
            and(
              ids !== undefined ? inArray(ingestFiles.id, [...ids]) : undefined,
              messageMissing(options.resendBefore),
              or(isNull(ingestFiles.sendClaim), lt(ingestFiles.sendClaimedAt, iso(new Date(now.getTime() - options.claimTtlMs)))),
            ),
          )
          .returning();
      if (options.only === undefined) return claimOf(undefined);
      const claimed: IngestFileRow[] = [];
      for (let i = 0; i < options.only.length; i += IDS_PER_CLAIM) claimed.push(...(await claimOf(options.only.slice(i, i + IDS_PER_CLAIM))));
      return claimed;
    },

    /** Records that the queue accepted the messages sent under `claim` (their delivery id). */
    async markSent(ids: number[], claim: string, now: Date): Promise<void> {
      for (let i = 0; i < ids.length; i += IDS_PER_MARK_SENT) {
        await db
          .update(ingestFiles)
          .set({ sentAt: iso(now), sendClaim: null, sendClaimedAt: null, deliveryId: claim })
          .where(and(inArray(ingestFiles.id, ids.slice(i, i + IDS_PER_MARK_SENT)), eq(ingestFiles.sendClaim, claim)));
      }
    },

    /** Gives up `claim` on the files the queue did not accept, for the next sender. */
    async releaseClaim(claim: string): Promise<void> {
      await db.update(ingestFiles).set({ sendClaim: null, sendClaimedAt: null }).where(and(eq(ingestFiles.sendClaim, claim), isNull(ingestFiles.sentAt)));
    },

    // ── Processing ──────────────────────────────────────────────────────────────────────────

    /**
     * Takes the file for processing: only from `queued`, or from `processing` whose lease ran
     * out — an attempt that stopped without an outcome, counted here. When that count reaches
     * MAX_ABANDONED_ATTEMPTS the file becomes `dead` instead (check the returned status).
     * Returns undefined when someone else holds it or it is finished.
     */
    async claimFile(id: number, etag: string, lease: string, leaseUntil: Date, now: Date): Promise<IngestFileRow | undefined> {
      const takeover = sql`${ingestFiles.status} = 'processing'`;
      const exhausted = sql`(${takeover} AND ${lastAbandonedAttempt})`;
      const unlessExhausted = (value: SQL | string, otherwise: SQL) => sql`CASE WHEN ${exhausted} THEN ${otherwise} ELSE ${value} END`;
      const [row] = await db
        .update(ingestFiles)
        .set({
          status: unlessExhausted("processing", sql`'dead'`),
          abandonedAttempts: sql`${ingestFiles.abandonedAttempts} + (CASE WHEN ${takeover} THEN 1 ELSE 0 END)`,
          leaseToken: unlessExhausted(lease, sql`NULL`),
          leaseExpiresAt: unlessExhausted(iso(leaseUntil), sql`NULL`),
          attempts: unlessExhausted(sql`${ingestFiles.attempts} + 1`, sql`${ingestFiles.attempts}`),
          startedAt: unlessExhausted(iso(now), sql`${ingestFiles.startedAt}`),
          lastError: unlessExhausted(sql`${ingestFiles.lastError}`, sql`${abandonedReason(MAX_ABANDONED_ATTEMPTS)}`),
          finishedAt: unlessExhausted(sql`${ingestFiles.finishedAt}`, sql`${iso(now)}`),
          updatedAt: iso(now),
        })
        .where(and(eq(ingestFiles.id, id), eq(ingestFiles.etag, etag), or(eq(ingestFiles.status, "queued"), leaseRanOut(now))))
        .returning();
      return row;
    },

    /** Gives a file back to the queue after a transient failure (the message will be retried). */
    async release(id: number, lease: string, error: string, now: Date): Promise<void> {
      await db
        .update(ingestFiles)
        .set({ status: "queued", leaseToken: null, leaseExpiresAt: null, lastError: error, updatedAt: iso(now) })
        .where(heldBy(id, lease));
    },

    /**
     * Marks a file `superseded`: S3 replaced the object before this version was read (the GET
     * pinned to its ETag answered 412). Final, and no failure: the newer version has a row of its
     * own, recorded by its event or the next scan. False when this consumer no longer held it.
     */
    async supersede(id: number, lease: string, reason: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(ingestFiles)
        .set({ status: "superseded", leaseToken: null, leaseExpiresAt: null, lastError: reason, finishedAt: iso(now), updatedAt: iso(now) })
        .where(heldBy(id, lease))
        .returning({ id: ingestFiles.id });
      return rows.length > 0;
    },

    /** Marks a file failed for good; returns false when this consumer no longer held it. */
    async fail(id: number, lease: string, error: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(ingestFiles)
        .set({ status: "failed", leaseToken: null, leaseExpiresAt: null, lastError: error, finishedAt: iso(now), updatedAt: iso(now) })
        .where(heldBy(id, lease))
        .returning({ id: ingestFiles.id });
      return rows.length > 0;
    },

    /**
     * The statement that marks a file `done` with its outcome, if lease `lease` still holds it.
     * Not run on its own: it is the last statement of the commit batch (staging.ts), which
     * merges the file's games in the same transaction. Returns the counts the batch recorded.
     */
    complete(id: number, lease: string, outcome: FileOutcome, now: Date) {
      return db
        .update(ingestFiles)
        .set({
          status: "done",
          recordsSeen: outcome.recordsSeen,
          recordsRejected: outcome.recordsRejected,
          rejectionSamples: outcome.rejectionSamples,
          lastError: null,
          leaseToken: null,
          leaseExpiresAt: null,
          finishedAt: iso(now),
          updatedAt: iso(now),
        })
        .where(heldBy(id, lease))
        .returning({ recordsUpserted: ingestFiles.recordsUpserted, gamesWritten: ingestFiles.gamesWritten });
    },

    // ── Recovery ────────────────────────────────────────────────────────────────────────────

    /**
     * Files whose consumer stopped without recording an outcome (lease expired while
     * processing): each such attempt is counted, and the file becomes sendable again, or
     * `dead` once it has used MAX_ABANDONED_ATTEMPTS. Returns the rows changed, with their new
     * status, so the caller can alert on the dead ones (each changes here exactly once).
     */
    async recoverAbandoned(now: Date): Promise<IngestFileRow[]> {
      return db
        .update(ingestFiles)
        .set({
          abandonedAttempts: sql`${ingestFiles.abandonedAttempts} + 1`,
          status: sql`CASE WHEN ${lastAbandonedAttempt} THEN 'dead' ELSE 'queued' END`,
          sentAt: null,
          leaseToken: null,
          leaseExpiresAt: null,
          lastError: sql`CASE WHEN ${lastAbandonedAttempt} THEN ${abandonedReason(MAX_ABANDONED_ATTEMPTS)}
            ELSE ${abandonedReason()} || ' (' || (${ingestFiles.abandonedAttempts} + 1) || ' of ${sql.raw(String(MAX_ABANDONED_ATTEMPTS))}); sent again' END`,
          finishedAt: sql`CASE WHEN ${lastAbandonedAttempt} THEN ${iso(now)} ELSE ${ingestFiles.finishedAt} END`,
          updatedAt: iso(now),
        })
        .where(leaseRanOut(now))
        .returning();
    },

    /**
     * Marks a file dead after its message exhausted the queue's retries. A file that finished
     * meanwhile, is being processed under a live lease, or was sent again since (a replay: the
     * dead letter's `deliveryId` is no longer the file's), is left alone.
     */
    async markDead(id: number, deliveryId: string | undefined, reason: string, now: Date): Promise<IngestFileRow | undefined> {
      const [row] = await db
        .update(ingestFiles)
        .set({
          status: "dead",
          leaseToken: null,
          leaseExpiresAt: null,
          // A file still `processing` here was left by a consumer that stopped without an outcome.
          lastError: sql`CASE WHEN ${ingestFiles.status} = 'processing' THEN ${abandonedReason()} ELSE coalesce(${ingestFiles.lastError}, ${reason}) END`,
          finishedAt: iso(now),
          updatedAt: iso(now),
        })
        .where(
          and(
            eq(ingestFiles.id, id),
            deliveryId !== undefined ? eq(ingestFiles.deliveryId, deliveryId) : undefined,
            or(eq(ingestFiles.status, "queued"), leaseRanOut(now)),
          ),
        )
        .returning();
      return row;
    },

    /**
     * An operator's retry: puts a failed or dead file — or a queued one whose message is lost
     * (never sent, or sent before `resendBefore`) — back in the queue state with a fresh budget
     * of abandoned attempts and a fresh overdue clock. Undefined when it is in another state.
     */
    async requeue(id: number, now: Date, resendBefore: Date): Promise<IngestFileRow | undefined> {
      const [row] = await db
        .update(ingestFiles)
        .set({
          status: "queued",
          sentAt: null,
          // A sender may hold a queued file right now; only ended files drop a stale claim.
          sendClaim: sql`CASE WHEN ${ended} THEN NULL ELSE ${ingestFiles.sendClaim} END`,
          sendClaimedAt: sql`CASE WHEN ${ended} THEN NULL ELSE ${ingestFiles.sendClaimedAt} END`,
          abandonedAttempts: 0,
          requeuedAt: iso(now),
          overdueAlertedAt: null,
          finishedAt: null,
          updatedAt: iso(now),
        })
        .where(and(eq(ingestFiles.id, id), or(ended, messageMissing(resendBefore))))
        .returning();
      return row;
    },

    /**
     * Files still queued or processing that entered the pipeline (were recorded, or retried)
     * before `dueBefore` and were not reported yet: marks them reported and returns them, so
     * each overdue file is alerted once per round.
     */
    async claimOverdue(now: Date, dueBefore: Date): Promise<IngestFileRow[]> {
      return db
        .update(ingestFiles)
        .set({ overdueAlertedAt: iso(now) })
        .where(
          and(
            inArray(ingestFiles.status, ["queued", "processing"]),
            isNull(ingestFiles.overdueAlertedAt),
            lt(sql`coalesce(${ingestFiles.requeuedAt}, ${ingestFiles.createdAt})`, iso(dueBefore)),
          ),
        )
        .returning();
    },
  };
}
