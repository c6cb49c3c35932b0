import type { IngestFileRow } from "../data/schema";
import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";

/**
 * The `lastError` of a file whose consumer stopped without recording an outcome: the platform
 * ended the invocation (CPU or memory limit, wall time), D1 refused every further query (1,000
 * per invocation), or the isolate crashed — nothing the consumer could catch and report.
 */
export function abandonedReason(times?: number): string {
  const stopped = times === undefined ? "the consumer stopped" : `the consumer stopped ${times} times`;
  return `consumer-stopped: ${stopped} without recording an outcome (likely CPU, memory or D1 query limit)`;
}

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
