import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database";
import { ingestFiles, ingestRuns, type FileStatus, type IngestFileRow, type IngestRunRow, type RejectionSample } from "../db/schema";
import type { S3Object } from "./s3/s3-client";

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
    async recordObjects(runId: number, objects: S3Object[], now: Date): Promise<number> {
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

    /** Files whose consumer vanished (lease expired while processing) become sendable again. */
    async recoverAbandoned(now: Date): Promise<number> {
      const rows = await db
        .update(ingestFiles)
        .set({ status: "queued", sentAt: null, leaseToken: null, leaseExpiresAt: null, updatedAt: iso(now), lastError: "consumer lease expired; re-enqueued by a scan" })
        .where(and(eq(ingestFiles.status, "processing"), lt(ingestFiles.leaseExpiresAt, iso(now))))
        .returning({ id: ingestFiles.id });
      return rows.length;
    },

    /**
     * Claims every queued file that no queue has accepted yet (new, or whose send failed), unless
     * another scan claimed it within `claimTtlMs`. Each file is claimed by exactly one scan.
     */
    async claimUnsent(runId: number, claim: string, now: Date, claimTtlMs: number): Promise<IngestFileRow[]> {
      return db
        .update(ingestFiles)
        .set({ sendClaim: claim, sendClaimedAt: iso(now), runId, updatedAt: iso(now) })
        .where(
          and(
            eq(ingestFiles.status, "queued"),
            isNull(ingestFiles.sentAt),
            or(isNull(ingestFiles.sendClaim), lt(ingestFiles.sendClaimedAt, iso(new Date(now.getTime() - claimTtlMs)))),
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
     * out. Returns undefined when someone else holds it or it is finished.
     */
    async claimFile(id: number, etag: string, lease: string, leaseUntil: Date, now: Date): Promise<IngestFileRow | undefined> {
      const [row] = await db
        .update(ingestFiles)
        .set({
          status: "processing",
          leaseToken: lease,
          leaseExpiresAt: iso(leaseUntil),
          attempts: sql`${ingestFiles.attempts} + 1`,
          startedAt: iso(now),
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
          lastError: sql`coalesce(${ingestFiles.lastError}, ${reason})`,
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

    /** Puts a failed or dead file back in the queue state; undefined when it is in another state. */
    async requeue(id: number, now: Date): Promise<IngestFileRow | undefined> {
      const [row] = await db
        .update(ingestFiles)
        .set({ status: "queued", sentAt: null, sendClaim: null, sendClaimedAt: null, finishedAt: null, updatedAt: iso(now) })
        .where(and(eq(ingestFiles.id, id), inArray(ingestFiles.status, ["failed", "dead"])))
        .returning();
      return row;
    },

    /** Claims one specific queued, unsent file for sending (the retry API's path). */
    async claimForSend(id: number, claim: string, now: Date): Promise<IngestFileRow | undefined> {
      const [row] = await db
        .update(ingestFiles)
        .set({ sendClaim: claim, sendClaimedAt: iso(now) })
        .where(and(eq(ingestFiles.id, id), eq(ingestFiles.status, "queued"), isNull(ingestFiles.sentAt), isNull(ingestFiles.sendClaim)))
        .returning();
      return row;
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
