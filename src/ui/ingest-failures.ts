// A file's `lastError` in words, and what a retry can do about it. The consumer records
// `<code>: <message>` (src/core/ingest/consumer.ts); the codes come from src/core/ingest/errors.ts
// and its callers, the caps from src/core/ingest/limits.ts, and the remedies from docs/RUNBOOK.md
// ("The alert fires"). A retry reads the SAME file version again (the ledger pins its ETag), so
// for a file whose content is the problem it fails the same way: only a new upload helps.
import type { LimitCode } from "./types";

/**
 * `new-upload`: the file version itself cannot be ingested; a corrected upload is a new version
 * that the next run ingests on its own. `fix-first`: something outside the file must be fixed
 * (access, the code, a limit), then a retry works. `retry`: a temporary failure.
 */
export type Remedy = "new-upload" | "fix-first" | "retry";

export interface FailureReason {
  /** The code in `lastError`, when it has one. */
  code: string | null;
  /** What went wrong, in words. */
  words: string;
  remedy: Remedy;
  /** What to do, in words. */
  advice: string;
}

const NEW_UPLOAD = "Retrying reads this same file again and fails the same way: a corrected file needs a new upload, which the next run (or Populate now) ingests as a new version.";

const CAPS: Record<LimitCode, Omit<FailureReason, "code">> = {
  "record-too-large": { words: "A record (or an NDJSON line) is over the size cap for one record.", remedy: "new-upload", advice: NEW_UPLOAD },
  "file-too-large": { words: "The file (or its gzip content) is over the size cap for one file.", remedy: "new-upload", advice: `Split it into smaller files. ${NEW_UPLOAD}` },
  "gzip-ratio-too-high": { words: "Its gzip content expands far more than a real export does (a possible gzip bomb).", remedy: "new-upload", advice: NEW_UPLOAD },
  "too-many-records": { words: "The file has more records than the cap for one file.", remedy: "new-upload", advice: `Split it into smaller files. ${NEW_UPLOAD}` },
  "too-many-queries": {
    words: "Staging the file would need more database queries than one ingestion may make.",
    remedy: "fix-first",
    advice: "The caps no longer keep a file within the database's limits: tell the developers; retry once they have changed them.",
  },
};

const KNOWN: Record<string, Omit<FailureReason, "code">> = {
  ...CAPS,
  "malformed-json": { words: "The file is not valid JSON (or not UTF-8 text).", remedy: "new-upload", advice: NEW_UPLOAD },
  "malformed-gzip": { words: "The file looks gzipped but is not a valid gzip stream.", remedy: "new-upload", advice: NEW_UPLOAD },
  "s3-404": {
    words: "The file was no longer in the bucket (S3 answered 404).",
    remedy: "new-upload",
    advice: "Retrying looks for the same file version again. If it should be ingested, upload it again: the next run ingests it as a new version.",
  },
  "s3-412": {
    words: "The file was replaced in the bucket after it was listed (S3 answered 412).",
    remedy: "new-upload",
    advice: "Retrying asks for the replaced version again. The new upload is ingested as a new version by the next run (or Populate now).",
  },
  // Not a failure: the consumer records it for a version replaced before it was read (status superseded).
  superseded: {
    words: "A newer upload replaced this file in the bucket before it was read; the newer version is ingested as its own file. Nothing failed.",
    remedy: "new-upload",
    advice: "Nothing to do.",
  },
  "s3-403": {
    words: "S3 refused access to the file (403).",
    remedy: "fix-first",
    advice: "Check that the ingestion's credentials may read this object (bucket policy, object permissions), then retry. If the file itself was uploaded with the wrong permissions, upload it again.",
  },
  "consumer-stopped": {
    words: "The platform stopped the ingestion while it worked on this file, without an error it could record (likely a CPU, memory or database query limit).",
    remedy: "fix-first",
    advice: "Usually a file far larger than usual: ask for it split, or raise the limit, then retry.",
  },
  timeout: { words: "S3 did not answer in time.", remedy: "retry", advice: "A temporary failure: retry." },
  network: { words: "The download failed (network error).", remedy: "retry", advice: "A temporary failure: retry." },
  truncated: { words: "The download ended before the whole file arrived.", remedy: "retry", advice: "A temporary failure: retry." },
  unexpected: { words: "An unexpected error stopped the ingestion of this file.", remedy: "retry", advice: "Retry; if it fails again, the details below are for the developers." },
};

function s3Failure(status: number): Omit<FailureReason, "code"> {
  if (status >= 500 || status === 429 || status === 408) {
    return { words: `S3 failed or was busy (it answered ${status}).`, remedy: "retry", advice: "A temporary failure: retry." };
  }
  return { words: `S3 refused the request (it answered ${status}).`, remedy: "fix-first", advice: "Fix the cause named below (credentials, bucket, permissions), then retry." };
}

/** `lastError` in words; null when there is none. */
export function describeFailure(lastError: string | null): FailureReason | null {
  if (!lastError) return null;
  const code = lastError.match(/^([a-z0-9]+(?:-[a-z0-9]+)*): /)?.[1] ?? null;
  const known = code ? (KNOWN[code] ?? (code.startsWith("s3-") ? s3Failure(Number(code.slice(3))) : undefined)) : undefined;
  if (known) return { code, ...known };
  if (lastError === "retries exhausted") {
    return { code: null, words: "Every retry failed, and the file was moved to the dead-letter queue.", remedy: "retry", advice: "Check S3's health and the ingestion's credentials, then retry." };
  }
  return { code, words: "The ingestion of this file failed.", remedy: "retry", advice: "See the details below; retry once the cause is fixed." };
}
