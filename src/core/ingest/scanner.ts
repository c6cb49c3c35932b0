import type { IngestRunRow } from "../db/schema";
import { describeError } from "../log";
import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";
import { classify } from "./errors";
import { ledger } from "./ledger";
import { toBatches, type IngestMessage } from "./message";
import type { S3Object } from "./s3/s3-client";

/** Objects that are ranking files; anything else under the prefix is ignored. */
const DATA_FILE = /\.(json|ndjson|jsonl)(\.gz)?$/i;
/** A scan that crashed mid-send releases its claim after this long. */
const SEND_CLAIM_TTL_MS = 5 * 60_000;

export interface ScanResult {
  runId: number;
  objectsListed: number;
  newFiles: number;
  filesEnqueued: number;
}

export class ScanFailedError extends Error {
  constructor(
    readonly runId: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ScanFailedError";
  }
}

/**
 * One ingestion run: the cron's and `POST /api/games/populate`'s common path.
 *
 * 1. List the whole prefix (every page) before touching the ledger, so a listing that fails
 *    halfway records and enqueues nothing.
 * 2. Insert each new (key, ETag) as `queued`; the unique index makes concurrent scans insert
 *    each version once.
 * 3. Claim every queued file not yet accepted by the queue (new ones, and ones whose earlier
 *    send failed), send them in batches, and mark them sent. A claim is a compare-and-set, so
 *    two scans never send the same file.
 *
 * No last-modified cursor: a late-finishing upload with an old timestamp is still found.
 */
export async function runScan(trigger: IngestRunRow["trigger"], deps: IngestDeps): Promise<ScanResult> {
  const { config, log } = deps;
  const files = ledger(deps.db);
  const run = await files.createRun(trigger, deps.now());
  const prefix = config.ingest.s3.prefix;
  let objects: S3Object[] = [];
  let filesEnqueued = 0;
  log.info("ingest scan started", { runId: run.id, trigger, bucket: config.ingest.s3.bucket, prefix });

  try {
    objects = await deps.s3.listAll(prefix);
    const dataFiles = objects.filter((o) => DATA_FILE.test(o.key));
    const newFiles = await files.recordObjects(run.id, dataFiles, deps.now());
    const recovered = await files.recoverAbandoned(deps.now());

    const claim = crypto.randomUUID();
    const unsent = await files.claimUnsent(run.id, claim, deps.now(), SEND_CLAIM_TTL_MS);
    const messages: IngestMessage[] = unsent.map((f) => ({ v: 1, fileId: f.id, runId: run.id, key: f.key, etag: f.etag, deliveryId: claim }));
    try {
      for (const batch of toBatches(messages)) {
        await deps.ingestQueue.sendBatch(batch);
        await files.markSent(
          batch.map((m) => m.fileId),
          claim,
          deps.now(),
        );
        filesEnqueued += batch.length;
      }
    } catch (error) {
      // Unsent files stay queued with sent_at NULL: the next scan sends them.
      await files.releaseClaim(claim);
      throw error;
    }

    await files.finishRun(run.id, { status: "succeeded", objectsListed: objects.length, filesEnqueued }, deps.now());
    log.info("ingest scan finished", {
      runId: run.id,
      objectsListed: objects.length,
      ignored: objects.length - dataFiles.length,
      newFiles,
      recovered,
      filesEnqueued,
    });
    return { runId: run.id, objectsListed: objects.length, newFiles, filesEnqueued };
  } catch (error) {
    const failure = classify(error);
    const message = `${failure.code}: ${failure.message}`;
    await files
      .finishRun(run.id, { status: "failed", objectsListed: objects.length, filesEnqueued, error: message }, deps.now())
      .catch((e) => log.error("could not record the failed run", { runId: run.id, error: describeError(e) }));
    await raiseAlert(
      { title: "Ingestion scan failed", detail: message, fields: { runId: run.id, trigger, bucket: config.ingest.s3.bucket, prefix } },
      alertDeps(deps),
    );
    throw new ScanFailedError(run.id, message, { cause: error });
  }
}
