import type { IngestFileRow } from "../data/schema";
import { abandonedReason } from "../domain/ingest";
import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";

/** The one alert for a file the ledger gave up on because it keeps stopping its consumer. */
export async function alertAbandonedFile(file: Pick<IngestFileRow, "id" | "key" | "attempts" | "abandonedAttempts">, deps: IngestDeps): Promise<void> {
  await raiseAlert(
    {
      title: "Ingestion file keeps stopping its consumer",
      detail:
        `${file.key} is dead: ${abandonedReason(file.abandonedAttempts)}. ` +
        `Look at the consumer's last log lines for this file, fix the cause (or raise the limit), then POST /api/ingest/files/${file.id}/retry.`,
      fields: { fileId: file.id, attempts: file.attempts, abandonedAttempts: file.abandonedAttempts },
    },
    alertDeps(deps),
  );
}
