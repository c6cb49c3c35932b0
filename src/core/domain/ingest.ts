import { z } from "zod";

/**
 * What ingestion deals in: runs (one scan of the bucket), files (one version of an S3 object, a
 * row of the ledger) and the messages that carry a file to the consumer. The ledger's state
 * machine is in data/ledger.ts; the pipeline that drives it in ingest/.
 */

/** What started a run. */
export const TRIGGERS = ["cron", "manual", "event"] as const;
export type Trigger = (typeof TRIGGERS)[number];
/** Outcome of a run's scan (listing and enqueueing), not of its files. */
export const RUN_STATUSES = ["running", "succeeded", "failed"] as const;
/**
 * queued → processing → done | failed | dead | superseded; failed and dead go back to queued on
 * retry. `superseded`: the object was replaced by a newer upload before this version was read
 * (S3 answered 412 to the GET pinned to its ETag); final, not a failure — the newer version is
 * a ledger row of its own, ingested from its event or the next scan.
 */
export const FILE_STATUSES = ["queued", "processing", "done", "failed", "dead", "superseded"] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/**
 * A file whose consumer stopped this many times without recording an outcome (its lease ran
 * out: CPU, memory or D1's query limit, a crash) is `dead`. Three: one unlucky restart is not
 * the file's fault, three in a row are.
 */
export const MAX_ABANDONED_ATTEMPTS = 3;

/**
 * The `lastError` of a file whose consumer stopped without recording an outcome: the platform
 * ended the invocation (CPU or memory limit, wall time), D1 refused every further query (1,000
 * per invocation), or the isolate crashed — nothing the consumer could catch and report.
 */
export function abandonedReason(times?: number): string {
  const stopped = times === undefined ? "the consumer stopped" : `the consumer stopped ${times} times`;
  return `consumer-stopped: ${stopped} without recording an outcome (likely CPU, memory or D1 query limit)`;
}

export interface RejectionSample {
  /** 0-based position of the record in the file. */
  index: number;
  reason: string;
}

/** A file of the ledger as the API shows it: the claim, lease and bookkeeping columns stay inside. */
export interface IngestFile {
  id: number;
  /** The run that last enqueued the file. */
  runId: number;
  key: string;
  etag: string;
  size: number;
  lastModified: string | null;
  status: FileStatus;
  /** Processing attempts so far. */
  attempts: number;
  recordsSeen: number | null;
  /** Distinct valid games in the file. */
  recordsUpserted: number | null;
  recordsRejected: number | null;
  /** Game rows inserted or changed (0 for identical data). */
  gamesWritten: number | null;
  rejectionSamples: RejectionSample[] | null;
  lastError: string | null;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Counts over a run's files, derived from the ledger so they can never drift from it. */
export interface RunTotals extends Record<FileStatus, number> {
  files: number;
  recordsSeen: number;
  recordsUpserted: number;
  recordsRejected: number;
  gamesWritten: number;
}

/** A run as the API shows it. */
export interface IngestRun {
  id: number;
  trigger: Trigger;
  status: (typeof RUN_STATUSES)[number];
  /** True while the scan runs or any of its files is queued or processing. */
  inProgress: boolean;
  startedAt: string;
  finishedAt: string | null;
  objectsListed: number;
  filesEnqueued: number;
  error: string | null;
  totals: RunTotals;
}

/** What the scanner puts on the ingest queue: a pointer to one file version, never its data. */
export const IngestMessageSchema = z.object({
  v: z.literal(1),
  fileId: z.number().int().positive(),
  runId: z.number().int().positive(),
  key: z.string().min(1).max(1024),
  etag: z.string().min(1).max(200),
  /** Which send of the file this is; lets a late dead letter from an earlier send be ignored. */
  deliveryId: z.string().min(1).max(64).optional(),
});

export type IngestMessage = z.infer<typeof IngestMessageSchema>;
