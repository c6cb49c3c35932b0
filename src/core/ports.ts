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

export interface RateLimitOutcome {
  allowed: boolean;
  /** Requests left in the window, when the backend knows it exactly. */
  remaining?: number;
  /** Seconds until the window resets, when the backend knows it exactly. */
  resetSeconds?: number;
}

/** Counts one request against `key`. */
export interface RateLimiter {
  limit(key: string): Promise<RateLimitOutcome>;
}

/** A producer for a message queue with at-least-once delivery (Cloudflare Queues, Deno KV queues…). */
export interface MessageQueue<T> {
  /** Sends up to 100 messages of at most 256 KB together; throws when the queue refuses them. */
  sendBatch(messages: readonly T[]): Promise<void>;
}
