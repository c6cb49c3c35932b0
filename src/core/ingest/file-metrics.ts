import type { IngestFileMetric, IngestFileOutcome } from "../ports";
import type { IngestDeps } from "./deps";

/** What a delivery measured; whatever it did not get to is 0. */
export type DeliveryFigures = Partial<Pick<IngestFileMetric, "durationMs" | "bytes" | "recordsSeen" | "recordsRejected" | "recordsUpserted" | "gamesWritten">>;

/** The one data point of an ingest file's delivery (docs/RUNBOOK.md, "Metrics"). */
export function recordFileOutcome(
  deps: Pick<IngestDeps, "metrics">,
  file: { id: number; key: string },
  outcome: IngestFileOutcome,
  details: { errorCode: string | null; attempt: number } & DeliveryFigures,
): void {
  deps.metrics.record({
    type: "ingest-file",
    outcome,
    fileId: file.id,
    key: file.key,
    errorCode: details.errorCode,
    attempt: details.attempt,
    durationMs: details.durationMs ?? 0,
    bytes: details.bytes ?? 0,
    recordsSeen: details.recordsSeen ?? 0,
    recordsRejected: details.recordsRejected ?? 0,
    recordsUpserted: details.recordsUpserted ?? 0,
    gamesWritten: details.gamesWritten ?? 0,
  });
}
