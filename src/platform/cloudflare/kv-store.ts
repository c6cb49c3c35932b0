import type { KeyValueStore } from "../../core/ports";

/** KV's minimum expirationTtl; shorter TTLs are rejected (https://developers.cloudflare.com/kv/api/write-key-value-pairs/). */
const MIN_TTL_SECONDS = 60;

export function createKvStore(kv: KVNamespace): KeyValueStore {
  return {
    get: <T>(key: string) => kv.get<T>(key, "json"),
    async getMany<T>(keys: readonly string[]) {
      // One bulk read (up to 100 keys) instead of a round trip per key.
      const values = await kv.get<T>([...keys], "json");
      return keys.map((key) => values.get(key) ?? null);
    },
    put: (key, value, options) =>
      kv.put(
        key,
        JSON.stringify(value),
        options?.ttlSeconds ? { expirationTtl: Math.max(MIN_TTL_SECONDS, options.ttlSeconds) } : {},
      ),
    delete: (key) => kv.delete(key),
  };
}
