/**
 * The platform services the core reaches, as small interfaces. The Cloudflare adapter implements
 * them with KV and the Rate Limiting binding (src/platform/cloudflare); another runtime brings
 * its own. Nothing in src/core imports a platform.
 */

/** A JSON key-value store with per-entry expiry and read-your-writes in the writing location. */
export interface KeyValueStore {
  get<T>(key: string): Promise<T | null>;
  /** Reads several keys in one round trip; the result is in the order of `keys`. */
  getMany<T>(keys: readonly string[]): Promise<(T | null)[]>;
  put(key: string, value: unknown, options?: { ttlSeconds?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * At most `limit` requests per key in each window of `periodSeconds`; windows are aligned to the
 * clock (floor(now / period)), as the `RateLimit` header announces them.
 */
export interface RateLimitPolicy {
  name: "per-key" | "per-ip";
  limit: number;
  periodSeconds: number;
}

export interface RateLimitOutcome {
  allowed: boolean;
  /** Requests left in the window: exact where the backend counts, else the adapter's best estimate. */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** Counts one request against `key` under one policy. */
export interface RateLimiter {
  limit(key: string): Promise<RateLimitOutcome>;
}

/** A producer for a message queue with at-least-once delivery (Cloudflare Queues, Deno KV queues…). */
export interface MessageQueue<T> {
  /** Sends up to 100 messages of at most 256 KB together; throws when the queue refuses them. */
  sendBatch(messages: readonly T[]): Promise<void>;
}

/**
 * One answered request, as the dashboards count it (docs/RUNBOOK.md, "Metrics"). The route is the
 * pattern (`/api/games/:id`), never the path, so ids and search terms neither leak into metrics
 * nor multiply their series; the key is named by its id, never by any part of the key itself.
 */
export interface RequestMetric {
  type: "request";
  route: string;
  method: string;
  status: number;
  /** The read cache's verdict; null where the route has no cache. */
  cache: "HIT" | "MISS" | "BYPASS" | null;
  durationMs: number;
  /** The accepted key's id (`"admin"` for the bootstrap secret); null when no key was accepted. */
  keyId: string | null;
}

/**
 * How one delivery of an ingest file ended: the ledger's outcome, or `retry` (transient, sent
 * again). `superseded`: replaced in S3 before it was read (not a failure).
 */
export type IngestFileOutcome = "done" | "failed" | "retry" | "dead" | "superseded";

/** One ingest file's delivery, as the dashboards count it. Counts are the delivery's own (partial when it failed). */
export interface IngestFileMetric {
  type: "ingest-file";
  outcome: IngestFileOutcome;
  fileId: number;
  /** The S3 key of the file. */
  key: string;
  /** The failure's code (`s3-403`, `malformed-json`, `retries-exhausted`…); null when done. */
  errorCode: string | null;
  /** The queue's delivery count (1 on the first delivery). */
  attempt: number;
  durationMs: number;
  /** Bytes downloaded from S3 (compressed, as stored). */
  bytes: number;
  recordsSeen: number;
  recordsRejected: number;
  /** Valid records (written or already up to date). */
  recordsUpserted: number;
  /** Games this file inserted or changed. */
  gamesWritten: number;
}

export type MetricPoint = RequestMetric | IngestFileMetric;

/**
 * Where data points go: Workers Analytics Engine on Cloudflare, a log line per point on Deno.
 * `record` must not wait for the sink (the Analytics Engine binding buffers the write itself);
 * the core calls it through `guardedMetrics` (metrics.ts), so a sink that throws loses the point,
 * never the request or the file it describes.
 */
export interface Metrics {
  record(point: MetricPoint): void;
}
