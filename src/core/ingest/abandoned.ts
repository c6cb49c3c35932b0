import type { IngestFileRow } from "../data/schema";
import { abandonedReason } from "../domain/ingest";
import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";
import { recordFileOutcome } from "./file-metrics";

/**
 * The one alert, and the `dead` data point, for a file the ledger gave up on because it keeps
 * stopping its consumer. `attempt` is the delivery that found it so (0 from the ledger sweep).
 */
export async function reportAbandonedFile(file: Pick<IngestFileRow, "id" | "key" | "attempts" | "abandonedAttempts">, attempt: number, deps: IngestDeps): Promise<void> {
  recordFileOutcome(deps, file, "dead", { errorCode: "consumer-stopped", attempt });
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
