import { createLedger } from "../data/ledger";
import { createLedgerReads, toIngestFile } from "../data/ledger-reads";
import type { IngestFileRow, IngestRunRow } from "../data/schema";
import type { FileStatus, IngestFile, IngestRun } from "../domain/ingest";
import { AppError, notFound } from "../errors";
import type { IngestDeps } from "../ingest/deps";
import { resendAfterSeconds } from "../ingest/bounds";
import { sendPendingFiles } from "../ingest/dispatch";
import { runScan, ScanCooldownError, ScanFailedError } from "../ingest/scanner";

function totals(files: IngestFileRow[]): IngestRun["totals"] {
  const t = { files: files.length, queued: 0, processing: 0, done: 0, failed: 0, dead: 0, superseded: 0, recordsSeen: 0, recordsUpserted: 0, recordsRejected: 0, gamesWritten: 0 };
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
  const ledger = createLedger(deps.db);
  const reads = createLedgerReads(deps.db);
  return {
    /**
     * Runs a scan now (the cron's code path) for the key `requestedBy`; a failed scan is a 502
     * that names the run. A key gets one scan per cooldown (INGEST_POPULATE_COOLDOWN_SECONDS):
     * sooner is a 429 with Retry-After that points at the run it started.
     */
    async populate(requestedBy: string) {
      const cooldownSeconds = deps.config.ingest.populateCooldownSeconds;
      try {
        const result = await runScan("manual", deps, cooldownSeconds > 0 ? { requestedBy, cooldownSeconds } : undefined);
        return { ...result, statusUrl: `/api/ingest/runs/${result.runId}` };
      } catch (error) {
        if (error instanceof ScanFailedError) {
          throw new AppError("bad-gateway", `Ingestion run ${error.runId} failed while scanning the bucket: ${error.message}`);
        }
        if (error instanceof ScanCooldownError) {
          const statusUrl = `/api/ingest/runs/${error.recentRunId}`;
          throw new AppError(
            "rate-limited",
            `This key started run ${error.recentRunId} less than ${cooldownSeconds} s ago (one scan per key per ${cooldownSeconds} s); follow ${statusUrl}, or retry in ${error.retryAfterSeconds} s`,
            { headers: { "Retry-After": String(error.retryAfterSeconds) }, extensions: { statusUrl } },
          );
        }
        throw error;
      }
    },

    /** A page of runs, newest first; `hasMore` says whether older ones exist. */
    async listRuns(limit: number, beforeId?: number): Promise<{ rows: IngestRun[]; hasMore: boolean }> {
      const runs = await reads.listRuns(limit + 1, beforeId);
      const page = runs.slice(0, limit);
      const all = await reads.filesOfRuns(page.map((r) => r.id));
      return { rows: page.map((run) => toRun(run, all.filter((f) => f.runId === run.id))), hasMore: runs.length > limit };
    },

    async getRun(id: number): Promise<IngestRun & { files: IngestFile[] }> {
      const run = await reads.getRun(id);
      if (!run) throw notFound("Ingestion run", id);
      const own = await reads.filesOfRuns([id]);
      return { ...toRun(run, own), files: own.map(toIngestFile) };
    },

    /** A page of ledger rows, newest first; `hasMore` says whether older ones exist. */
    async listFiles(status: FileStatus | undefined, limit: number, beforeId?: number): Promise<{ rows: IngestFile[]; hasMore: boolean }> {
      const rows = await reads.listFiles(status, limit + 1, beforeId);
      return { rows: rows.slice(0, limit).map(toIngestFile), hasMore: rows.length > limit };
    },

    /**
     * Re-enqueues a failed or dead file, or a queued one whose message is lost (never sent, or
     * sent longer ago than the resend bound), with a fresh attempt budget. Idempotent: a file
     * processing, or queued with a message still in the queue's hands, is returned as it is and
     * nothing is sent; a done file is a 409.
     */
    async retryFile(id: number): Promise<IngestFile> {
      const now = deps.now();
      const file = await reads.getFile(id);
      if (!file) throw notFound("Ingestion file", id);
      if (file.status === "done") throw new AppError("conflict", `File ${id} was already ingested; upload a new version to ingest it again`);
      if (file.status === "superseded") {
        throw new AppError("conflict", `File ${id} was replaced in the bucket by a newer upload before it was read; that version is ingested instead (its own ledger row)`);
      }
      const resendBefore = new Date(now.getTime() - resendAfterSeconds(deps.config.ingest) * 1000);
      if (await ledger.requeue(id, now, resendBefore)) {
        try {
          const [sent] = await sendPendingFiles(deps, { only: [id] });
          if (sent) deps.log.info("ingest file re-enqueued", { fileId: id, key: sent.key, was: file.status });
        } catch (error) {
          throw new AppError("service-unavailable", "The ingest queue refused the message; the next scan or sweep will send it", { cause: error });
        }
      }
      return toIngestFile((await reads.getFile(id)) ?? file);
    },
  };
}
