import { createLedger, type LedgerObject } from "../data/ledger";
import type { IngestDeps } from "./deps";
import { sendPendingFiles } from "./dispatch";

/** Objects that are ranking files; anything else under the prefix is ignored. */
const DATA_FILE = /\.(json|ndjson|jsonl)(\.gz)?$/i;

/** True when the key names a ranking file (JSON, NDJSON, optionally gzipped). */
export const isDataFile = (key: string): boolean => DATA_FILE.test(key);

export interface EnqueueOutcome {
  /** File versions the ledger had not seen before. */
  newFiles: number;
  /** Messages the queue accepted. */
  filesEnqueued: number;
  /**
   * `send: "these"`: how many of the given versions the ledger holds now (new or seen before);
   * the others were not recorded because a later version of their key already was.
   */
  recorded?: number;
}

/**
 * The one way a file version enters the pipeline, whoever found it — the scan (cron, populate)
 * or an S3 event: insert each (key, ETag) not recorded yet as `queued` under run `runId` (the
 * unique index makes concurrent callers insert each version once), then send the queue what it
 * should have and does not. Sends are compare-and-set claims (dispatch.ts), so a file version
 * is sent once however many scans and events see it at the same time.
 *
 * `send: "all-pending"` (the scan) also sends every other file whose message is missing — a
 * failed earlier send, a lost message; `"these"` (an event) sends only the given versions that
 * still need a message, so an event's request stays small and its run names only its files.
 * Throws when the queue refuses a batch: the files it did not take keep `sent_at` empty, and the
 * next scan or sweep (or a repeat of the event) sends them.
 */
export async function enqueueObjects(
  deps: IngestDeps,
  runId: number,
  objects: readonly LedgerObject[],
  options: { send: "all-pending" | "these"; onSent?: (count: number) => void },
): Promise<EnqueueOutcome> {
  const ledger = createLedger(deps.db);
  const newFiles = await ledger.recordObjects(runId, objects, deps.now());
  let filesEnqueued = 0;
  const onSent = (count: number) => {
    filesEnqueued += count;
    options.onSent?.(count);
  };
  if (options.send === "all-pending") {
    await sendPendingFiles(deps, { runId, onSent });
  } else {
    const ids = objects.length > 0 ? await ledger.idsOf(objects) : [];
    if (ids.length > 0) await sendPendingFiles(deps, { runId, only: ids, onSent });
    return { newFiles, filesEnqueued, recorded: ids.length };
  }
  return { newFiles, filesEnqueued };
}
