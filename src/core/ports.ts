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
