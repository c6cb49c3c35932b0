import { and, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { FileStatus, IngestFile } from "../domain/ingest";
import type { Database } from "./database";
import { ingestFiles, ingestRuns, type IngestFileRow, type IngestRunRow } from "./schema";

/** Read-only queries on the ledger: what the API, the health check and the freshness alert show. */
export function createLedgerReads(db: Database) {
  return {
    async getFile(id: number): Promise<IngestFileRow | undefined> {
      const [row] = await db.select().from(ingestFiles).where(eq(ingestFiles.id, id)).limit(1);
      return row;
    },

    /** When the last file was ingested (the newest `done`), or null. */
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

    /** Up to `limit` runs, newest first, older than run `beforeId` when given. */
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

    /** Up to `limit` files, newest first, older than file `beforeId` when given, in `status` when given. */
    async listFiles(status: FileStatus | undefined, limit: number, beforeId?: number): Promise<IngestFileRow[]> {
      const conditions: (SQL | undefined)[] = [
        status ? eq(ingestFiles.status, status) : undefined,
        beforeId !== undefined ? lt(ingestFiles.id, beforeId) : undefined,
      ];
      return db.select().from(ingestFiles).where(and(...conditions)).orderBy(desc(ingestFiles.id)).limit(limit);
    },
  };
}

/** The public view of a ledger row: internal claim, lease and bookkeeping fields stay inside. */
export function toIngestFile(row: IngestFileRow): IngestFile {
  const {
    sendClaim: _c,
    sendClaimedAt: _ca,
    leaseToken: _l,
    leaseExpiresAt: _le,
    deliveryId: _d,
    // Orders an event's versions of one key when they are recorded; nothing a reader acts on.
    sequencer: _s,
    // What they led to is in `status` and `lastError`.
    abandonedAttempts: _a,
    requeuedAt: _r,
    overdueAlertedAt: _o,
    ...visible
  } = row;
  return visible;
}
