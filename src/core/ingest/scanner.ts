import type { IngestRunRow } from "../data/schema";
import { describeError } from "../log";
import { raiseAlert } from "./alerts";
import { alertDeps, type IngestDeps } from "./deps";
import { enqueueObjects, isDataFile } from "./enqueue";
import { classify } from "./errors";
import { createLedger } from "../data/ledger";
import type { S3Object } from "./s3/s3-client";
import { recoverAbandonedFiles } from "./sweep";

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

/** A manual scan refused because the same key started one less than the cooldown ago. */
export class ScanCooldownError extends Error {
  constructor(
    readonly recentRunId: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`run ${recentRunId} was started by the same key less than the cooldown ago; retry in ${retryAfterSeconds} s`);
    this.name = "ScanCooldownError";
  }
}

/** Who asked for a manual scan, and how long that key must wait between two. */
export interface ScanRequest {
  requestedBy: string;
  cooldownSeconds: number;
}

/** Creates the run, or refuses a manual one that comes too soon after the same key's last. */
async function startRun(trigger: IngestRunRow["trigger"], deps: IngestDeps, request?: ScanRequest): Promise<IngestRunRow> {
  const ledger = createLedger(deps.db);
  const now = deps.now();
  if (!request) return ledger.createRun(trigger, now);
  const cooldownMs = request.cooldownSeconds * 1000;
  const started = await ledger.createManualRun(request.requestedBy, now, new Date(now.getTime() - cooldownMs));
  if ("run" in started) return started.run;
  const waitMs = Date.parse(started.recent.startedAt) + cooldownMs - now.getTime();
  throw new ScanCooldownError(started.recent.id, Math.max(1, Math.ceil(waitMs / 1000)));
}

/**
 * One ingestion run: the cron's and `POST /api/games/populate`'s common path.
 *
 * 1. List the whole prefix (every page) before touching the ledger, so a listing that fails
 *    halfway records and enqueues nothing.
 * 2. Recover files left by a consumer that stopped (sweep.ts).
 * 3. Record and send, on the path every finder of files shares (enqueue.ts, also S3 events'):
 *    insert each new (key, ETag) as `queued` — the unique index makes concurrent scans and
 *    events insert each version once — then send every file the queue should have and does
 *    not: new ones, ones whose earlier send failed, and ones whose message was lost. A claim is
 *    a compare-and-set, so two scans (or a scan and an event) never send the same file.
 *
 * No last-modified cursor: a late-finishing upload with an old timestamp is still found. A
 * manual scan (`request`) is refused with ScanCooldownError when the same key started one
 * less than `cooldownSeconds` ago; the refusal records nothing.
 */
export async function runScan(trigger: IngestRunRow["trigger"], deps: IngestDeps, request?: ScanRequest): Promise<ScanResult> {
  const { config, log } = deps;
  const ledger = createLedger(deps.db);
  const run = await startRun(trigger, deps, request);
  const prefix = config.ingest.s3.prefix;
  let objects: S3Object[] = [];
  let filesEnqueued = 0;
  log.info("ingest scan started", { runId: run.id, trigger, bucket: config.ingest.s3.bucket, prefix });

  try {
    objects = await deps.s3.listAll(prefix);
    const dataFiles = objects.filter((o) => isDataFile(o.key));
    const recovered = await recoverAbandonedFiles(deps);
    // Files the queue refuses stay queued with sent_at NULL: the next scan or sweep sends them.
    const { newFiles } = await enqueueObjects(deps, run.id, dataFiles, { send: "all-pending", onSent: (count) => (filesEnqueued += count) });

    await ledger.finishRun(run.id, { status: "succeeded", objectsListed: objects.length, filesEnqueued }, deps.now());
    log.info("ingest scan finished", {
      runId: run.id,
      objectsListed: objects.length,
      ignored: objects.length - dataFiles.length,
      newFiles,
      recovered: recovered.requeued,
      dead: recovered.dead,
      filesEnqueued,
    });
    return { runId: run.id, objectsListed: objects.length, newFiles, filesEnqueued };
  } catch (error) {
    const failure = classify(error);
    const message = `${failure.code}: ${failure.message}`;
    await ledger
      .finishRun(run.id, { status: "failed", objectsListed: objects.length, filesEnqueued, error: message }, deps.now())
      .catch((e) => log.error("could not record the failed run", { runId: run.id, error: describeError(e) }));
    await raiseAlert(
      { title: "Ingestion scan failed", detail: message, fields: { runId: run.id, trigger, bucket: config.ingest.s3.bucket, prefix } },
      alertDeps(deps),
    );
    throw new ScanFailedError(run.id, message, { cause: error });
  }
}
