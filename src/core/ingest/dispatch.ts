import type { IngestFileRow } from "../data/schema";
import { resendAfterSeconds } from "./bounds";
import type { IngestDeps } from "./deps";
import { createLedger } from "../data/ledger";
import type { IngestMessage } from "../domain/ingest";
import { toBatches } from "./queue-batches";

/** A sender that crashed mid-send releases its claim after this long. */
const SEND_CLAIM_TTL_MS = 5 * 60_000;

/**
 * Sends the ingest queue every file that should be in it and is not: new files, files whose
 * send failed, and `queued` files whose message was sent longer ago than the resend bound
 * (bounds.ts) — lost. Claims are compare-and-sets, so concurrent senders (scans, sweeps, the
 * retry API) never send a file twice; files sent are marked with this send's delivery id, so a
 * late dead letter of an earlier message cannot kill them. `runId` (a scan) becomes the files'
 * run; the sweep keeps theirs. `only` sends only these files (the retry API, an event); `onSent` hears of each
 * batch the queue accepted. Throws when the queue refuses a batch: the files not yet accepted
 * keep `sent_at` empty for the next sender.
 */
export async function sendPendingFiles(
  deps: IngestDeps,
  options: { runId?: number; only?: readonly number[]; onSent?: (count: number) => void } = {},
): Promise<IngestFileRow[]> {
  const { onSent, ...which } = options;
  const ledger = createLedger(deps.db);
  const now = deps.now();
  const claim = crypto.randomUUID();
  const resendBefore = new Date(now.getTime() - resendAfterSeconds(deps.config.ingest) * 1000);
  const claimed = await ledger.claimSendable(claim, now, { resendBefore, claimTtlMs: SEND_CLAIM_TTL_MS, ...which });
  const lost = claimed.filter((f) => f.sentAt !== null);
  if (lost.length > 0) {
    deps.log.warn("ingest files sent again: their message was not processed in time", {
      fileIds: lost.map((f) => f.id).slice(0, 50),
      count: lost.length,
      resendAfterSeconds: resendAfterSeconds(deps.config.ingest),
    });
  }
  const messages: IngestMessage[] = claimed.map((f) => ({ v: 1, fileId: f.id, runId: options.runId ?? f.runId, key: f.key, etag: f.etag, deliveryId: claim }));
  try {
    for (const batch of toBatches(messages)) {
      await deps.ingestQueue.sendBatch(batch);
      await ledger.markSent(
        batch.map((m) => m.fileId),
        claim,
        deps.now(),
      );
      onSent?.(batch.length);
    }
  } catch (error) {
    await ledger.releaseClaim(claim);
    throw error;
  }
  return claimed;
}
