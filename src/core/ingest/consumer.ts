import { describeError } from "../log";
import type { RejectionSample } from "../domain/ingest";
import { reportAbandonedFile } from "./abandoned";
import { raiseAlert } from "./alerts";
import { commitFile, discardAttempt, discardOtherAttempts, stageGames, StagingPayloads, stagingJson } from "../data/staging";
import { retryDelaySeconds } from "./backoff";
import { alertDeps, type IngestDeps } from "./deps";
import { classify } from "./errors";
import { recordFileOutcome } from "./file-metrics";
import { createLedger } from "../data/ledger";
import { createLedgerReads } from "../data/ledger-reads";
import { formatCount, INGEST_LIMITS, limitExceeded, stagingBudget } from "./limits";
import { IngestMessageSchema, type IngestMessage } from "../domain/ingest";
import { fileRecordBatches } from "./parse/file-records";
import { guardedChunks, gunzipIfNeeded } from "./parse/guarded-body";
import { toGameRecord } from "./record";

/** What to tell the queue about one message. */
export type Decision = { action: "ack" } | { action: "retry"; delaySeconds: number };

const MAX_REJECTION_SAMPLES = 5;
/** A download that delivers nothing for this long is treated as a dropped connection. */
const BODY_IDLE_TIMEOUT_MS = 30_000;

const ack: Decision = { action: "ack" };
/** GetObject pinned to the recorded ETag answered 412 (s3/s3-client.ts): the object was replaced. */
const SUPERSEDED_CODE = "s3-412";

/**
 * Handles one message of the ingest queue: message → claim → fetch → parse → stage → commit.
 * Never throws for a problem with the file; the caller acks or retries as decided. Delivering
 * the same message again (or concurrently) leaves the same end state: the claim lets one
 * delivery work at a time and the commit is conditional on holding it.
 */
export async function processIngestMessage(body: unknown, attempts: number, deps: IngestDeps): Promise<Decision> {
  const parsed = IngestMessageSchema.safeParse(body);
  if (!parsed.success) {
    deps.log.error("ingest message rejected", { reason: parsed.error.issues[0]?.message, body: JSON.stringify(body)?.slice(0, 300) });
    return ack;
  }
  const message = parsed.data;
  const ledger = createLedger(deps.db);
  const lease = crypto.randomUUID();
  const now = deps.now();
  const leaseUntil = new Date(now.getTime() + deps.config.ingest.leaseSeconds * 1000);
  const file = await ledger.claimFile(message.fileId, message.etag, lease, leaseUntil, now);
  if (!file) return notClaimed(message, deps);
  if (file.status === "dead") {
    // The claim found the last allowed attempt abandoned too: the ledger gave up on the file.
    deps.log.error("ingest file dead: it keeps stopping its consumer", { fileId: file.id, key: file.key, abandonedAttempts: file.abandonedAttempts });
    await reportAbandonedFile(file, attempts, deps);
    return ack;
  }

  const context = { fileId: file.id, key: file.key, etag: file.etag, attempt: attempts };
  deps.log.info("ingest file started", context);
  const started = performance.now();
  // Filled in as the file is read, so that a failure's data point says how far it got.
  const tally: Tally = { bytes: 0, recordsSeen: 0, recordsRejected: 0, rejectionSamples: [] };
  const figures = () => ({
    attempt: attempts,
    durationMs: Math.round(performance.now() - started),
    bytes: tally.bytes,
    recordsSeen: tally.recordsSeen,
    recordsRejected: tally.recordsRejected,
  });
  try {
    await discardOtherAttempts(deps.db, file.id, lease);
    const outcome = await stageFile(message, lease, tally, deps);
    const applied = await commitFile(deps.db, lease, file, outcome, deps.now());
    if (!applied) {
      deps.log.warn("ingest lease lost before commit; another delivery owns the file", context);
      return ack;
    }
    // After the commit, never before: a read between the two would cache old data under the new
    // version. Awaited here (the message is acked after it), off any request's path: at most
    // one coalescing window, or the bounded retries when KV refuses. With the commit's bookmark,
    // so that a cache miss at the new version reads at least that fresh, even on a replica.
    if (applied.gamesWritten > 0) await deps.dataVersion.bump(deps.session?.bookmark());
    deps.log.info("ingest file done", { ...context, ...applied, recordsSeen: outcome.recordsSeen, recordsRejected: outcome.recordsRejected });
    recordFileOutcome(deps, file, "done", { ...figures(), ...applied, errorCode: null });
    if (outcome.recordsSeen > 0 && applied.recordsUpserted === 0) {
      await raiseAlert(
        { title: "Ingested file had no valid records", detail: `Every record of ${file.key} was rejected.`, fields: { fileId: file.id, rejected: outcome.recordsRejected, sample: outcome.rejectionSamples[0]?.reason ?? null } },
        alertDeps(deps),
      );
    }
    return ack;
  } catch (error) {
    const failure = classify(error);
    const reason = `${failure.code}: ${failure.message}`;
    await discardAttempt(deps.db, lease).catch((e) => deps.log.warn("staging cleanup failed", { ...context, error: describeError(e) }));
    if (failure.kind === "transient") {
      await ledger.release(file.id, lease, reason, deps.now());
      const delaySeconds = retryDelaySeconds(attempts, deps.config.ingest.retryBaseSeconds, deps.config.ingest.retryMaxSeconds);
      deps.log.warn("ingest file will be retried", { ...context, error: reason, delaySeconds });
      recordFileOutcome(deps, file, "retry", { ...figures(), errorCode: failure.code });
      return { action: "retry", delaySeconds };
    }
    if (failure.code === SUPERSEDED_CODE) {
      // The object was replaced after this version was recorded: the newer version is a ledger row
      // of its own (its event, or the next scan, records it), so this one is over — not a failure.
      if (await ledger.supersede(file.id, lease, `superseded: ${failure.message}`, deps.now())) {
        deps.log.info("ingest file superseded: replaced in the bucket before it was read", { ...context, error: reason });
        recordFileOutcome(deps, file, "superseded", { ...figures(), errorCode: failure.code });
      }
      return ack;
    }
    if (await ledger.fail(file.id, lease, reason, deps.now())) {
      recordFileOutcome(deps, file, "failed", { ...figures(), errorCode: failure.code });
      await raiseAlert({ title: "Ingestion failed", detail: `${file.key} could not be ingested: ${reason}`, fields: { fileId: file.id, attempt: attempts } }, alertDeps(deps));
    }
    return ack;
  }
}

/** Another delivery holds the file, or it is finished: wait for the holder, or drop the duplicate. */
async function notClaimed(message: IngestMessage, deps: IngestDeps): Promise<Decision> {
  const file = await createLedgerReads(deps.db).getFile(message.fileId);
  const context = { fileId: message.fileId, key: message.key };
  if (!file || file.etag !== message.etag) {
    deps.log.warn("ingest message for an unknown file version dropped", context);
    return ack;
  }
  if (file.status === "processing" && file.leaseExpiresAt) {
    // Come back when the holder's lease ends: it either committed by then or crashed.
    const remaining = Math.ceil((Date.parse(file.leaseExpiresAt) - deps.now().getTime()) / 1000);
    const delaySeconds = Math.min(deps.config.ingest.retryMaxSeconds, Math.max(1, remaining));
    deps.log.info("ingest file busy in another delivery; retrying later", { ...context, delaySeconds });
    return { action: "retry", delaySeconds };
  }
  if (file.status === "queued") return { action: "retry", delaySeconds: 1 };
  deps.log.info("ingest message for a finished file dropped", { ...context, status: file.status });
  return ack;
}

/**
 * Downloads the file and stages its valid games, counting and sampling the rejected records.
 * Every cap of `IngestLimits` is enforced on the way, so that a file too big for one invocation
 * fails with a permanent error naming the cap instead of killing the consumer.
 */
async function stageFile(message: IngestMessage, lease: string, tally: Tally, deps: IngestDeps): Promise<Tally> {
  const limits = deps.limits ?? INGEST_LIMITS;
  const what = `s3://${deps.config.ingest.s3.bucket}/${message.key}`;
  const { body, contentLength } = await deps.s3.getObject(message.key, message.etag);
  const download = countBytes(guardedChunks(body, { contentLength, idleTimeoutMs: BODY_IDLE_TIMEOUT_MS, what, maxBytes: limits.maxFileBytes }), tally);
  const chunks = gunzipIfNeeded(download, what, { maxBytes: limits.maxFileBytes, maxRatio: limits.maxGzipRatio, ratioGraceBytes: limits.gzipRatioGraceBytes });
  const budget = stagingBudget(limits, what);
  const payloads = new StagingPayloads(limits.stagePayloadBytes);

  const { rejectionSamples } = tally;
  // One staging statement in flight while the next payload fills: D1 and parsing overlap.
  let inflight: Promise<void> = Promise.resolve();
  const stage = async (payload: string | undefined) => {
    if (payload === undefined) return;
    await inflight;
    budget.spend(1, `staging statement ${budget.spent + 1}`);
    inflight = stageGames(deps.db, lease, message.fileId, payload);
    inflight.catch(() => undefined);
  };

  try {
    // A chunk's records at a time; a staging statement is awaited only when a payload is full.
    for await (const records of fileRecordBatches(chunks, what, { maxRecordBytes: limits.maxRecordBytes })) {
      for (const record of records) {
        if (++tally.recordsSeen > limits.maxRecords) {
          throw limitExceeded("too-many-records", `${what}: more than ${formatCount(limits.maxRecords)} records, the cap per file`);
        }
        const result = "error" in record ? { ok: false as const, reason: record.error } : toGameRecord(record.value, record.group);
        if (result.ok) {
          const full = payloads.add(stagingJson(result.game));
          if (full !== undefined) await stage(full);
        } else {
          tally.recordsRejected++;
          if (rejectionSamples.length < MAX_REJECTION_SAMPLES) rejectionSamples.push({ index: record.index, reason: result.reason });
        }
      }
    }
    await stage(payloads.take());
    await inflight;
  } catch (error) {
    // Let the staging statement still in flight land first, so that the caller's cleanup of
    // this attempt's rows runs after it and leaves none behind.
    await inflight.catch(() => undefined);
    throw error;
  }
  return tally;
}

/** What a delivery has read so far. */
interface Tally {
  bytes: number;
  recordsSeen: number;
  recordsRejected: number;
  rejectionSamples: RejectionSample[];
}

async function* countBytes(chunks: AsyncIterable<Uint8Array>, tally: Tally): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    tally.bytes += chunk.byteLength;
    yield chunk;
  }
}
