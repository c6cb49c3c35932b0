import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";
import { ledger } from "./ledger";

/**
 * Alerts when no file has been ingested successfully for `staleAfterHours` (26 h: a daily
 * drop plus slack). Before the first success, the clock starts at the first run ever.
 */
export async function checkFreshness(deps: IngestDeps): Promise<{ stale: boolean; lastSuccessAt: string | null }> {
  const files = ledger(deps.db);
  const lastSuccessAt = await files.lastSuccessAt();
  const since = lastSuccessAt ?? (await files.firstRunAt());
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
