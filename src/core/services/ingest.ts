import type { FileStatus, IngestFileRow, IngestRunRow } from "../db/schema";
import { AppError, notFound } from "../errors";
import type { IngestDeps } from "../ingest/deps";
import { ledger } from "../ingest/ledger";
import { runScan, ScanFailedError } from "../ingest/scanner";
import { toIngestFile, type IngestFile, type IngestRun } from "../http/schemas/ingest";

function totals(files: IngestFileRow[]): IngestRun["totals"] {
  const t = { files: files.length, queued: 0, processing: 0, done: 0, failed: 0, dead: 0, recordsSeen: 0, recordsUpserted: 0, recordsRejected: 0, gamesWritten: 0 };
  for (const f of files) {
    t[f.status]++;
    t.recordsSeen += f.recordsSeen ?? 0;
    t.recordsUpserted += f.recordsUpserted ?? 0;
    t.recordsRejected += f.recordsRejected ?? 0;
    t.gamesWritten += f.gamesWritten ?? 0;
  }
  return t;
}

/** A run with totals derived from its files, so they can never drift from the ledger. */
function toRun(run: IngestRunRow, files: IngestFileRow[]): IngestRun {
  const t = totals(files);
  return { ...run, totals: t, inProgress: run.status === "running" || t.queued + t.processing > 0 };
}

export function ingestService(deps: IngestDeps) {
  const files = ledger(deps.db);
  return {
    /** Runs a scan now (the cron's code path); a failed scan is a 502 that names the run. */
    async populate() {
      try {
        const result = await runScan("manual", deps);
        return { ...result, statusUrl: `/api/ingest/runs/${result.runId}` };
      } catch (error) {
        if (error instanceof ScanFailedError) {
          throw new AppError("bad-gateway", `Ingestion run ${error.runId} failed while scanning the bucket: ${error.message}`);
        }
        throw error;
      }
    },

    /** A page of runs, newest first; `hasMore` says whether older ones exist. */
    async listRuns(limit: number, beforeId?: number): Promise<{ rows: IngestRun[]; hasMore: boolean }> {
      const runs = await files.listRuns(limit + 1, beforeId);
      const page = runs.slice(0, limit);
      const all = await files.filesOfRuns(page.map((r) => r.id));
      return { rows: page.map((run) => toRun(run, all.filter((f) => f.runId === run.id))), hasMore: runs.length > limit };
    },

    async getRun(id: number): Promise<IngestRun & { files: IngestFile[] }> {
      const run = await files.getRun(id);
      if (!run) throw notFound("Ingestion run", id);
      const own = await files.filesOfRuns([id]);
      return { ...toRun(run, own), files: own.map(toIngestFile) };
    },

    /** A page of ledger rows, newest first; `hasMore` says whether older ones exist. */
    async listFiles(status: FileStatus | undefined, limit: number, beforeId?: number): Promise<{ rows: IngestFile[]; hasMore: boolean }> {
      const rows = await files.listFiles({ status }, limit + 1, beforeId);
      return { rows: rows.slice(0, limit).map(toIngestFile), hasMore: rows.length > limit };
    },

    /**
     * Re-enqueues a failed or dead file. Idempotent: a file already queued or processing is
     * returned as it is (sent again only if no queue has accepted it yet); a done file is a 409.
     */
    async retryFile(id: number): Promise<IngestFile> {
      const now = deps.now();
      let file = await files.getFile(id);
      if (!file) throw notFound("Ingestion file", id);
      if (file.status === "done") throw new AppError("conflict", `File ${id} was already ingested; upload a new version to ingest it again`);
      if (file.status === "failed" || file.status === "dead") file = (await files.requeue(id, now)) ?? file;
      const claim = crypto.randomUUID();
      const claimed = await files.claimForSend(id, claim, now);
      if (claimed) {
        try {
          await deps.ingestQueue.sendBatch([{ v: 1, fileId: claimed.id, runId: claimed.runId, key: claimed.key, etag: claimed.etag, deliveryId: claim }]);
        } catch (error) {
          await files.releaseClaim(claim);
          throw new AppError("service-unavailable", "The ingest queue refused the message; the next scan will send it", { cause: error });
        }
        await files.markSent([id], claim, deps.now());
        deps.log.info("ingest file re-enqueued", { fileId: id, key: claimed.key });
      }
      return toIngestFile((await files.getFile(id)) ?? file);
    },
  };
}
