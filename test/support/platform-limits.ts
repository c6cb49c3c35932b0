/**
 * Cloudflare's production limits that the local simulator (Miniflare / workerd in the vitest
 * plugin) does not enforce, or enforces only in part, and the exact errors production raises when
 * one is crossed. The limit-enforcing test bindings (limited-d1.ts, limited-kv.ts) throw these,
 * so code that would fail in production fails in the test suite too.
 *
 * Sources: https://developers.cloudflare.com/d1/platform/limits/,
 * https://developers.cloudflare.com/kv/platform/limits/ and
 * https://developers.cloudflare.com/kv/api/write-key-value-pairs/ (429 on a second write to a key
 * within a second). Where local workerd already raises an error for the same limit (100 bound
 * parameters, 100 KB statements, KV key/value/metadata sizes), the text below is the one it
 * prints, which is production's.
 */
export const D1_LIMITS = {
  boundParameters: 100,
  statementBytes: 100_000,
  /** Per string or BLOB value, bound or produced by a statement. */
  valueBytes: 2_000_000,
  /** Workers Paid; a batch counts each of its statements. */
  queriesPerInvocation: 1_000,
} as const;

export const KV_LIMITS = {
  /** A bulk get counts as one operation. */
  operationsPerInvocation: 1_000,
  /** Writes (put or delete) to one key: at most one per this interval. */
  writeIntervalMs: 1_000,
  keyBytes: 512,
  valueBytes: 25 * 1024 * 1024,
  metadataBytes: 1_024,
} as const;

/** The message of every per-invocation budget error (a Workers runtime error). */
const INVOCATION_LIMIT = "Too many API requests by single worker invocation.";

export const d1Errors = {
  tooManyParameters: (offset: number) => new Error(`D1_ERROR: too many SQL variables at offset ${offset}: SQLITE_ERROR`),
  statementTooLong: () => new Error("D1_ERROR: statement too long: SQLITE_TOOBIG"),
  valueTooBig: () => new Error("D1_ERROR: string or blob too big: SQLITE_TOOBIG"),
  tooManyQueries: () => new Error(`D1_ERROR: ${INVOCATION_LIMIT}`),
};

/** https://developers.cloudflare.com/analytics/analytics-engine/limits/ */
export const ANALYTICS_ENGINE_LIMITS = {
  blobs: 20,
  doubles: 20,
  indexes: 1,
  indexBytes: 96,
  /** All blobs of one data point together. */
  blobBytes: 16 * 1024,
  dataPointsPerInvocation: 250,
} as const;

/**
 * Production drops a data point over these limits (several indexes: "your data point will not be
 * recorded"); the texts are ours. A test binding throws instead, so the test that wrote it fails.
 */
export const analyticsEngineErrors = {
  invalid: (what: string) => new Error(`Analytics Engine data point refused: ${what}`),
  tooManyDataPoints: () => new Error(`Analytics Engine: more than ${ANALYTICS_ENGINE_LIMITS.dataPointsPerInvocation} data points in one invocation`),
};

export type KvOperation = "GET" | "PUT" | "DELETE" | "LIST";

export const kvErrors = {
  tooManyOperations: () => new Error(INVOCATION_LIMIT),
  writeRateExceeded: (op: KvOperation) => new Error(`KV ${op} failed: 429 Too Many Requests`),
  keyTooLong: (op: KvOperation, bytes: number) =>
    new Error(`KV ${op} failed: 414 UTF-8 encoded length of ${bytes} exceeds key length limit of ${KV_LIMITS.keyBytes}.`),
  valueTooBig: (bytes: number) => new Error(`KV PUT failed: 413 Value length of ${bytes} exceeds limit of ${KV_LIMITS.valueBytes}.`),
  metadataTooBig: (bytes: number) => new Error(`KV PUT failed: 413 Metadata length of ${bytes} exceeds limit of ${KV_LIMITS.metadataBytes}.`),
};

const encoder = new TextEncoder();

export const utf8ByteLength = (text: string): number => encoder.encode(text).length;

/** Whether `text` takes more than `limit` bytes in UTF-8; encodes it only when its length cannot tell. */
export function utf8Exceeds(text: string, limit: number): boolean {
  if (text.length > limit) return true; // at least one byte per UTF-16 code unit
  if (text.length * 3 <= limit) return false; // at most three bytes per UTF-16 code unit
  return utf8ByteLength(text) > limit;
}
