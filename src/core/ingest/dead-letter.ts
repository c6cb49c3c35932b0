import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";
import { recordFileOutcome } from "./file-metrics";
import { createLedger } from "../data/ledger";
import { createLedgerReads } from "../data/ledger-reads";
import { IngestMessageSchema } from "../domain/ingest";

/**
 * Handles a message that exhausted the ingest queue's retries: the file becomes `dead` and an
 * alert goes out. A file that completed meanwhile, was sent again since, or is still held under
 * a live lease, is not touched. Always acknowledges: the dead-letter queue has no fallback of
 * its own, and a dead letter that is lost leaves a `queued` file the ledger sends again.
 */
export async function processDeadLetter(body: unknown, attempts: number, deps: IngestDeps): Promise<void> {
  const parsed = IngestMessageSchema.safeParse(body);
  if (!parsed.success) {
    deps.log.error("dead-letter message rejected", { reason: parsed.error.issues[0]?.message, body: JSON.stringify(body)?.slice(0, 300) });
    return;
  }
  const { fileId, key, deliveryId } = parsed.data;
  const dead = await createLedger(deps.db).markDead(fileId, deliveryId, "retries exhausted", deps.now());
  if (!dead) {
    const file = await createLedgerReads(deps.db).getFile(fileId);
    // A file still processing under a live lease is not lost: when the lease runs out, the
    // ledger sweep counts the abandoned attempt and sends the file again or ends it (sweep.ts).
    deps.log.warn("dead letter for a file that is not failing; left as is", { fileId, key, status: file?.status ?? null });
    return;
  }
  // The last failure's code (`s3-503: …`, `consumer-stopped: …`): why the retries ran out.
  const errorCode = /^([a-z0-9-]+):/.exec(dead.lastError ?? "")?.[1] ?? "retries-exhausted";
  recordFileOutcome(deps, { id: fileId, key }, "dead", { errorCode, attempt: dead.attempts });
  await raiseAlert(
    {
      title: "Ingestion file is dead",
      detail: `${key} failed on every retry and was moved to the dead-letter queue. Fix the cause, then POST /api/ingest/files/${fileId}/retry.`,
      fields: { fileId, attempts: dead.attempts, lastError: dead.lastError, deliveries: attempts },
    },
    alertDeps(deps),
  );
}
