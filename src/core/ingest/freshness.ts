import { raiseAlert } from "./alerts";
import { formatSeconds, overdueAfterSeconds, resendAfterSeconds } from "./bounds";
import { alertDeps, type IngestDeps } from "./deps";
import { createLedger } from "../data/ledger";
import { createLedgerReads } from "../data/ledger-reads";

/** Keys named in one overdue alert; the count covers the rest. */
const OVERDUE_KEYS_SHOWN = 10;

/**
 * Alerts when no file has been ingested successfully for `staleAfterHours` (26 h: a daily
 * drop plus slack). Before the first success, the clock starts at the first run ever.
 */
export async function checkFreshness(deps: IngestDeps): Promise<{ stale: boolean; lastSuccessAt: string | null }> {
  const reads = createLedgerReads(deps.db);
  const lastSuccessAt = await reads.lastSuccessAt();
  const since = lastSuccessAt ?? (await reads.firstRunAt());
  if (!since) return { stale: false, lastSuccessAt };
  const hours = (deps.now().getTime() - Date.parse(since)) / 3_600_000;
  const limit = deps.config.ingest.staleAfterHours;
  if (hours <= limit) return { stale: false, lastSuccessAt };
  await raiseAlert(
    {
      title: "No successful ingestion recently",
      detail: lastSuccessAt
        ? `The last file was ingested ${Math.floor(hours)} h ago (limit ${limit} h).`
        : `No file has been ingested since the first run ${Math.floor(hours)} h ago (limit ${limit} h).`,
      fields: { lastSuccessAt, bucket: deps.config.ingest.s3.bucket, prefix: deps.config.ingest.s3.prefix },
    },
    alertDeps(deps),
  );
  return { stale: true, lastSuccessAt };
}

/**
 * Alerts on every file still queued or processing longer than the overdue bound (bounds.ts)
 * after it was recorded or retried — whatever the other files do. One alert per call names
 * the files that became overdue since the last one; each file is reported once (until it is
 * retried). Returns how many were reported.
 */
export async function alertOverdueFiles(deps: IngestDeps): Promise<number> {
  const now = deps.now();
  const bound = overdueAfterSeconds(deps.config.ingest);
  const overdue = await createLedger(deps.db).claimOverdue(now, new Date(now.getTime() - bound * 1000));
  if (overdue.length === 0) return 0;
  const shown = overdue.slice(0, OVERDUE_KEYS_SHOWN).map((f) => `${f.key} (file ${f.id}, ${f.status}${f.lastError ? `, last error: ${f.lastError}` : ""})`);
  const more = overdue.length > shown.length ? `\n…and ${overdue.length - shown.length} more (GET /api/ingest/files?status=queued).` : "";
  await raiseAlert(
    {
      title: "Ingestion files overdue",
      detail:
        `${overdue.length} file(s) still not done, failed or dead ${formatSeconds(bound)} after being queued ` +
        `(a lost message is re-sent after ${formatSeconds(resendAfterSeconds(deps.config.ingest))}, so these are stuck):\n${shown.join("\n")}${more}`,
      fields: { files: overdue.length, boundSeconds: bound, fileIds: overdue.slice(0, OVERDUE_KEYS_SHOWN).map((f) => f.id).join(", ") },
    },
    alertDeps(deps),
  );
  return overdue.length;
}
