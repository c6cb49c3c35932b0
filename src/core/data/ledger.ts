import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "./database";
import { abandonedReason, MAX_ABANDONED_ATTEMPTS, type FileStatus, type IngestFile, type RejectionSample } from "../domain/ingest";
import { ingestFiles, ingestRuns, type IngestFileRow, type IngestRunRow } from "./schema";

/** Ledger rows inserted per statement: one JSON parameter each, far below D1's limits. */
const OBJECTS_PER_STATEMENT = 500;

const iso = (date: Date) => date.toISOString();

/**
 * The ingestion ledger in D1: runs, and one row per file version (key + ETag). Every state
 * change is a conditional UPDATE (compare-and-set on status, claim or lease), so concurrent
 * scans and redelivered messages cannot both win.
 */
export function ledger(db: Database) {
  return {
    async createRun(trigger: IngestRunRow["trigger"], now: Date): Promise<IngestRunRow> {
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
        WHERE NOT EXISTS (SELECT 1 FROM ingest_runs WHERE trigger = 'manual' AND requested_by = ${requestedBy} AND started_at > ${iso(since)})
        RETURNING id`);
      const [row] = await db
        .select()
        .from(ingestRuns)
        .where(inserted[0] ? eq(ingestRuns.id, inserted[0].id) : and(eq(ingestRuns.trigger, "manual"), eq(ingestRuns.requestedBy, requestedBy)))
        .orderBy(desc(ingestRuns.startedAt))
        .limit(1);
      return inserted[0] ? { run: row! } : { recent: row! };
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

    /** Records file versions not seen before as `queued`; returns how many were new. */
    async recordObjects(runId: number, objects: readonly { key: string; etag: string; size: number; lastModified: string | null }[], now: Date): Promise<number> {
      let inserted = 0;
      for (let i = 0; i < objects.length; i += OBJECTS_PER_STATEMENT) {
        const chunk = objects.slice(i, i + OBJECTS_PER_STATEMENT).map((o) => [o.key, o.etag, o.size, o.lastModified]);
        const rows = await db.all<{ id: number }>(sql`
          INSERT INTO ingest_files (run_id, key, etag, size, last_modified, status, created_at, updated_at)
          SELECT ${runId}, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                 json_extract(value, '$[3]'), 'queued', ${iso(now)}, ${iso(now)}
          FROM json_each(${JSON.stringify(chunk)}) WHERE true
          ON CONFLICT (key, etag) DO NOTHING
          RETURNING id`);
        inserted += rows.length;
      }
      return inserted;
    },

    /**
     * Files whose consumer stopped without recording an outcome (lease expired while
     * processing): each such attempt is counted, and the file becomes sendable again, or
     * `dead` once it has used MAX_ABANDONED_ATTEMPTS. Returns the rows changed, with their new
     * status, so the caller can alert on the dead ones (each changes here exactly once).
     */
    async recoverAbandoned(now: Date): Promise<IngestFileRow[]> {
      const exhausted = sql`${ingestFiles.abandonedAttempts} + 1 >= ${MAX_ABANDONED_ATTEMPTS}`;
      return db
        .update(ingestFiles)
        .set({
          abandonedAttempts: sql`${ingestFiles.abandonedAttempts} + 1`,
          status: sql`CASE WHEN ${exhausted} THEN 'dead' ELSE 'queued' END`,
          sentAt: null,
          leaseToken: null,
          leaseExpiresAt: null,
          lastError: sql`CASE WHEN ${exhausted} THEN ${abandonedReason(MAX_ABANDONED_ATTEMPTS)}
            ELSE ${abandonedReason()} || ' (' || (${ingestFiles.abandonedAttempts} + 1) || ' of ${sql.raw(String(MAX_ABANDONED_ATTEMPTS))}); sent again' END`,
          finishedAt: sql`CASE WHEN ${exhausted} THEN ${iso(now)} ELSE ${ingestFiles.finishedAt} END`,
          updatedAt: iso(now),
        })
        .where(and(eq(ingestFiles.status, "processing"), lt(ingestFiles.leaseExpiresAt, iso(now))))
        .returning();
    },

    /**
     * Claims every queued file a queue should receive now: never sent (new, or its send
     * failed), or sent before `resendBefore` and still not taken (its message was lost) —
     * unless another sender claimed it within `claimTtlMs`. Each file is claimed by exactly one
     * caller. `only` narrows it to one file (the retry API); `runId` records the run that sends.
     */
    async claimSendable(
      claim: string,
      now: Date,
      options: { resendBefore: Date; claimTtlMs: number; runId?: number | undefined; only?: number },
    ): Promise<IngestFileRow[]> {
      return db
        .update(ingestFiles)
        .set({ sendClaim: claim, sendClaimedAt: iso(now), updatedAt: iso(now), ...(options.runId !== undefined ? { runId: options.runId } : {}) })
        .where(
          and(
            options.only !== undefined ? eq(ingestFiles.id, options.only) : undefined,
            eq(ingestFiles.status, "queued"),
            or(isNull(ingestFiles.sentAt), lt(ingestFiles.sentAt, iso(options.resendBefore))),
            or(isNull(ingestFiles.sendClaim), lt(ingestFiles.sendClaimedAt, iso(new Date(now.getTime() - options.claimTtlMs)))),
          ),
        )
        .returning();
    },

    /** Records that the queue accepted the messages sent under `claim` (their delivery id). */
    async markSent(ids: number[], claim: string, now: Date): Promise<void> {
      for (let i = 0; i < ids.length; i += 90) {
        await db
          .update(ingestFiles)
          .set({ sentAt: iso(now), sendClaim: null, sendClaimedAt: null, deliveryId: claim })
          .where(and(inArray(ingestFiles.id, ids.slice(i, i + 90)), eq(ingestFiles.sendClaim, claim)));
      }
    },

    async releaseClaim(claim: string): Promise<void> {
      await db.update(ingestFiles).set({ sendClaim: null, sendClaimedAt: null }).where(and(eq(ingestFiles.sendClaim, claim), isNull(ingestFiles.sentAt)));
    },

    /**
     * Takes the file for processing: only from `queued`, or from `processing` whose lease ran
     * out — an attempt that stopped without an outcome, counted here. When that count reaches
     * MAX_ABANDONED_ATTEMPTS the file becomes `dead` instead (check the returned status).
     * Returns undefined when someone else holds it or it is finished.
     */
    async claimFile(id: number, etag: string, lease: string, leaseUntil: Date, now: Date): Promise<IngestFileRow | undefined> {
      const takeover = sql`${ingestFiles.status} = 'processing'`;
      const exhausted = sql`(${takeover} AND ${ingestFiles.abandonedAttempts} + 1 >= ${MAX_ABANDONED_ATTEMPTS})`;
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
        .where(
          and(
            eq(ingestFiles.id, id),
            eq(ingestFiles.etag, etag),
            or(eq(ingestFiles.status, "queued"), and(eq(ingestFiles.status, "processing"), lt(ingestFiles.leaseExpiresAt, iso(now)))),
          ),
        )
        .returning();
      return row;
    },

    async getFile(id: number): Promise<IngestFileRow | undefined> {
      const [row] = await db.select().from(ingestFiles).where(eq(ingestFiles.id, id)).limit(1);
      return row;
    },

    /** Gives a file back to the queue after a transient failure (the message will be retried). */
    async release(id: number, lease: string, error: string, now: Date): Promise<void> {
      await db
        .update(ingestFiles)
        .set({ status: "queued", leaseToken: null, leaseExpiresAt: null, lastError: error, updatedAt: iso(now) })
        .where(and(eq(ingestFiles.id, id), eq(ingestFiles.leaseToken, lease)));
    },

    /** Marks a file failed for good; returns false when this consumer no longer held it. */
    async fail(id: number, lease: string, error: string, counts: Partial<Counts>, now: Date): Promise<boolean> {
      const rows = await db
        .update(ingestFiles)
        .set({
          ...counts,
          status: "failed",
          leaseToken: null,
          leaseExpiresAt: null,
          lastError: error,
          finishedAt: iso(now),
          updatedAt: iso(now),
        })
        .where(and(eq(ingestFiles.id, id), eq(ingestFiles.leaseToken, lease), eq(ingestFiles.status, "processing")))
        .returning({ id: ingestFiles.id });
      return rows.length > 0;
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
            or(
              eq(ingestFiles.status, "queued"),
              and(eq(ingestFiles.status, "processing"), or(isNull(ingestFiles.leaseExpiresAt), lt(ingestFiles.leaseExpiresAt, iso(now)))),
            ),
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
      const ended = sql`${ingestFiles.status} IN ('failed', 'dead')`;
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
        .where(
          and(
            eq(ingestFiles.id, id),
            or(ended, and(eq(ingestFiles.status, "queued"), or(isNull(ingestFiles.sentAt), lt(ingestFiles.sentAt, iso(resendBefore))))),
          ),
        )
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

    async lastSuccessAt(): Promise<string | null> {
      const [row] = await db
        .select({ at: sql<string | null>`max(${ingestFiles.finishedAt})` })
        .from(ingestFiles)
        .where(eq(ingestFiles.status, "done"));
      return row?.at ?? null;
    },

    async firstRunAt(): Promise<string | null> {
      const [row] = await db.select({ at: sql<string | null>`min(${ingestRuns.startedAt})` }).from(ingestRuns);
      return row?.at ?? null;
    },

    async listRuns(limit: number, beforeId?: number): Promise<IngestRunRow[]> {
      return db
        .select()
        .from(ingestRuns)
        .where(beforeId !== undefined ? lt(ingestRuns.id, beforeId) : undefined)
        .orderBy(desc(ingestRuns.id))
        .limit(limit);
    },

    async getRun(id: number): Promise<IngestRunRow | undefined> {
      const [row] = await db.select().from(ingestRuns).where(eq(ingestRuns.id, id)).limit(1);
      return row;
    },

    async filesOfRuns(runIds: number[]): Promise<IngestFileRow[]> {
      if (runIds.length === 0) return [];
      return db.select().from(ingestFiles).where(inArray(ingestFiles.runId, runIds)).orderBy(ingestFiles.id);
    },

    async listFiles(filter: { status?: FileStatus | undefined }, limit: number, beforeId?: number): Promise<IngestFileRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.status ? eq(ingestFiles.status, filter.status) : undefined,
        beforeId !== undefined ? lt(ingestFiles.id, beforeId) : undefined,
      ];
      return db.select().from(ingestFiles).where(and(...conditions)).orderBy(desc(ingestFiles.id)).limit(limit);
    },
  };
}

export interface Counts {
  recordsSeen: number;
  recordsRejected: number;
  rejectionSamples: RejectionSample[];
}

export type Ledger = ReturnType<typeof ledger>;

/** The public view of a ledger row: internal claim, lease and bookkeeping fields stay inside. */
export function toIngestFile(row: IngestFileRow): IngestFile {
  const {
    sendClaim: _c,
    sendClaimedAt: _ca,
    leaseToken: _l,
    leaseExpiresAt: _le,
    deliveryId: _d,
    // What they led to is in `status` and `lastError`.
    abandonedAttempts: _a,
    requeuedAt: _r,
    overdueAlertedAt: _o,
    ...visible
  } = row;
  return visible;
}
