import type { Logger } from "../log";
import type { KeyValueStore } from "../ports";

/**
 * The data version names the current state of the games data. Cached reads are stored with the
 * version they were computed at and only served while it is still current, so bumping it
 * invalidates every cached read at once. KV writes are visible immediately in the writing
 * location, so a client never reads its own write stale there.
 */
export const DATA_VERSION_KEY = "meta:data-version";
/** The version before the first bump ever. */
export const INITIAL_DATA_VERSION = "0";

// KV allows about one write per second to a key; a burst of writes retries instead of failing.
const BUMP_ATTEMPTS = 3;
const BUMP_BACKOFF_MS = 600;

export async function bumpDataVersion(kv: KeyValueStore, log: Logger): Promise<void> {
  const version = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await kv.put(DATA_VERSION_KEY, version);
      return;
    } catch (error) {
      if (attempt >= BUMP_ATTEMPTS) {
        // Cached reads then age out with their TTL instead; the write itself has committed.
        log.error("data version bump failed", { attempts: attempt, error: String(error) });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, BUMP_BACKOFF_MS * attempt));
    }
  }
}
