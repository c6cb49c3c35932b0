import { createLedger, type LedgerObject } from "../data/ledger";
import { parseS3EventDocument } from "../domain/s3-events";
import { AppError } from "../errors";
import type { IngestDeps } from "../ingest/deps";
import { enqueueObjects, isDataFile } from "../ingest/enqueue";
import { documentEntries, EventKeyError, type EventObject, type IgnoredReason } from "../ingest/s3/event-objects";
import { describeError } from "../log";
import { validationError } from "../validation";

/** What an accepted S3 event document led to. */
export interface S3EventsAccepted {
  /**
   * The `event` run that recorded or sent the document's files; null when it announced none to
   * ingest, or only versions already recorded (a duplicate delivery).
   */
  runId: number | null;
  /** Messages sent to the ingest queue: 0 for a file version already recorded and sent (a duplicate). */
  filesEnqueued: number;
  /**
   * Records (or events) acknowledged without a file: s3:TestEvent, not ObjectCreated, another
   * bucket, outside S3_PREFIX, not a data file, or a version older than one already recorded.
   */
  ignored: number;
}

function validationFromKey(error: EventKeyError): AppError {
  return new AppError("validation", `Invalid body.${error.path.join(".")}`, {
    errors: [{ location: "body", path: error.path.join("."), message: error.message, code: "invalid_key" }],
  });
}

/**
 * Takes an S3 event document — an EventBridge S3 event or an S3 event notification (`Records`),
 * already parsed from JSON but not validated — and records every announced ranking file under
 * `S3_PREFIX` of the configured bucket in the ledger and on the ingest queue, on the scanner's
 * own path (ingest/enqueue.ts) under a run with trigger `event`. POST /api/ingest/events calls
 * it, and POST /api/ingest/sns with the S3 document of a verified SNS message.
 *
 * No S3 request is made: the event carries the key, size and ETag, normalised to what
 * ListObjectsV2 gives (ingest/s3/event-objects.ts), and the event's time stands for the object's
 * LastModified (domain/source-time.ts orders files by it). Duplicate deliveries change nothing:
 * the ledger's unique (key, ETag) records a version once, and only a version still without a
 * message is sent. A malformed document is the `validation` problem (400) and records nothing; a
 * ledger or queue failure is `service-unavailable` (503), so the sender delivers it again.
 */
export async function acceptS3Events(body: unknown, deps: IngestDeps): Promise<S3EventsAccepted> {
  const parsed = parseS3EventDocument(body);
  if (!parsed.success) throw validationError(parsed.error, "json");
  let entries: ReturnType<typeof documentEntries>;
  try {
    entries = documentEntries(parsed.document);
  } catch (error) {
    if (error instanceof EventKeyError) throw validationFromKey(error);
    throw error;
  }

  const { bucket, prefix } = deps.config.ingest.s3;
  const ignored: IgnoredReason[] = [...entries.ignored];
  const wanted: EventObject[] = [];
  for (const object of entries.created) {
    if (object.bucket !== bucket) ignored.push("other-bucket");
    else if (!object.key.startsWith(prefix)) ignored.push("outside-prefix");
    else if (!isDataFile(object.key)) ignored.push("not-a-data-file");
    else wanted.push(object);
  }
  const reasons = Object.fromEntries([...new Set(ignored)].map((r) => [r, ignored.filter((i) => i === r).length]));
  const context = { kind: parsed.document.kind, objects: wanted.length, ignored: ignored.length, ...(ignored.length > 0 ? { ignoredReasons: reasons } : {}) };
  if (wanted.length === 0) {
    deps.log.info("s3 event acknowledged; nothing to ingest", context);
    return { runId: null, filesEnqueued: 0, ignored: ignored.length };
  }

  const ledger = createLedger(deps.db);
  // One entry per version: S3 may repeat a record, and the ledger holds a version once anyway.
  const versions = new Map(wanted.map((o) => [`${o.etag} ${o.key}`, o]));
  const objects: LedgerObject[] = [...versions.values()].map((o) => ({ key: o.key, etag: o.etag, size: o.size, lastModified: o.eventTime, sequencer: o.sequencer }));
  let runId: number | undefined;
  let filesEnqueued = 0;
  try {
    runId = (await ledger.createRun("event", deps.now())).id;
    const outcome = await enqueueObjects(deps, runId, objects, { send: "these", onSent: (count) => (filesEnqueued += count) });
    // A version the ledger did not take is older than one it has for that key (its sequencer says so).
    const olderVersions = objects.length - (outcome.recorded ?? objects.length);
    for (let i = 0; i < olderVersions; i++) ignored.push("older-version");
    const fields = { ...context, newFiles: outcome.newFiles, olderVersions, filesEnqueued, keys: objects.slice(0, 10).map((o) => o.key) };
    // Nothing new and nothing sent (a duplicate delivery, or only older versions): no run to show.
    if (outcome.newFiles === 0 && filesEnqueued === 0 && (await ledger.discardEmptyRun(runId))) {
      deps.log.info("s3 event accepted: every version already recorded", fields);
      return { runId: null, filesEnqueued, ignored: ignored.length };
    }
    await ledger.finishRun(runId, { status: "succeeded", objectsListed: objects.length, filesEnqueued }, deps.now());
    deps.log.info("s3 event accepted", { ...fields, runId });
    return { runId, filesEnqueued, ignored: ignored.length };
  } catch (error) {
    const reason = describeError(error);
    deps.log.error("s3 event could not be recorded; the sender should deliver it again", { ...context, runId, filesEnqueued, error: reason });
    if (runId !== undefined) {
      await ledger
        .finishRun(runId, { status: "failed", objectsListed: objects.length, filesEnqueued, error: "the ledger or the queue failed while recording the event's files" }, deps.now())
        .catch(() => undefined);
    }
    throw new AppError("service-unavailable", "The event could not be recorded (database or queue unavailable); deliver it again", { cause: error, headers: { "Retry-After": "5" } });
  }
}
