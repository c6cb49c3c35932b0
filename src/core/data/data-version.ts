import { freshestBookmark, isBookmark, type Bookmark } from "../domain/bookmark";
import { describeError, type Logger } from "../log";
import type { KeyValueStore } from "../ports";

/**
 * The data version names the current state of the games data. Cached reads are stored with the
 * version they were computed at and only served while it is still current, so bumping it
 * invalidates every cached read at once.
 *
 * KV accepts about one write per second to a key (https://developers.cloudflare.com/kv/api/write-key-value-pairs/),
 * and every API write and changed ingested file bumps the version, so bumps are coalesced per
 * isolate: the first one is written at once, the ones that follow within a second are folded into
 * a single write when the second is over. Nobody waits for that write in a request (it is
 * deferred); until it lands, this isolate's reads use the pending version (`pending()`), so a
 * client never reads its own write stale. Other isolates see the bump once it is written and KV
 * has propagated it.
 *
 * With D1 read replication a cache miss may be answered by a replica that has not seen the write
 * yet, which would store old data under the new version for the entry's whole TTL. So a bump
 * carries the bookmark of the write (the D1 session's bookmark after it), inside the version
 * token itself — `<id>@<bookmark>` — and a miss reads at least that fresh (`bookmarkOfVersion`).
 * One value under one key, not a second key: KV takes one write per second per key and
 * propagates keys independently, so a reader elsewhere could otherwise see the new version
 * without its bookmark. Tokens written before bookmarks existed have no `@` and still work.
 */
export const DATA_VERSION_KEY = "meta:data-version";
/** The version before the first bump ever. */
export const INITIAL_DATA_VERSION = "0";

/** KV's write rate for one key. */
const MIN_WRITE_INTERVAL_MS = 1_000;
/** Failed writes are retried after 1, 2, 4, 8 s; after this many in a row the next bump starts over. */
const MAX_FAILED_WRITES = 5;
const MAX_BACKOFF_MS = 8_000;

/** Time as the coalescing sees it; tests pass a clock they advance themselves. */
export interface Timers {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface DataVersion {
  /**
   * Records that the data changed, up to `bookmark` (the writing session's bookmark after the
   * write; absent where the platform has none). Never throws and never waits: the returned promise settles
   * when the bump is in KV, or when writing it failed MAX_FAILED_WRITES times (logged; the next
   * bump writes it). It never rejects. Requests hand it to `defer`; the ingestion consumer may
   * await it.
   */
  bump(bookmark?: Bookmark | null): Promise<void>;
  /** The newest version bumped in this isolate and not yet in KV. Read it before reading KV. */
  pending(): string | undefined;
  /**
   * The version a read in this isolate must use (`currentVersion`), the bookmark data read at that
   * version must be at least as fresh as (`bookmarkOfVersion`), and the value stored under `key`,
   * in one KV round trip. Throws when KV does.
   */
  readWith<T>(key: string): Promise<{ version: string; bookmark: Bookmark | null; value: T | null }>;
  /** `readWith` without a value: only the version key is read (the caller holds the value). */
  read(): Promise<{ version: string; bookmark: Bookmark | null }>;
}

/**
 * The freshest bookmark a version token carries (a combined token carries several), or null for
 * a token without one: a read of data at that version must be at least this fresh.
 */
export function bookmarkOfVersion(version: string): Bookmark | null {
  return freshestBookmark(
    ...version.split("+").map((part) => {
      const bookmark = part.slice(part.indexOf("@") + 1);
      return part.includes("@") && isBookmark(bookmark) ? bookmark : null;
    }),
  );
}

/**
 * The version a read in this isolate must use: the stored one, combined with the bump this
 * isolate has not written yet. Combined rather than replaced, so that a newer version written by
 * another isolate in the meantime is not hidden by ours.
 */
export function currentVersion(stored: string | null, pending: string | undefined): string {
  const base = stored ?? INITIAL_DATA_VERSION;
  return pending === undefined || pending === base ? base : `${base}+${pending}`;
}

const newVersion = (now: number, bookmark: Bookmark | null) =>
  `${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}${bookmark ? `@${bookmark}` : ""}`;

/**
 * The data version of one isolate. Its state (pending bump, last write, the flush in progress)
 * lives in the returned object, which the platform's composition root keeps for the isolate's
 * lifetime; tests create fresh ones.
 */
export function createDataVersion(kv: KeyValueStore, log: Logger, timers: Timers = systemTimers): DataVersion {
  let pending: string | undefined;
  let lastWriteAt = -Infinity;
  let flushing: Promise<void> | undefined;
  /**
   * The freshest write bookmark this isolate has bumped with. Requests finish in any order, so a
   * bump may come with an older bookmark than the one before it; the version it writes must
   * still cover both writes.
   */
  let newestBookmark: Bookmark | null = null;

  /** Writes pending bumps, one per MIN_WRITE_INTERVAL_MS, until none is left (or too many writes failed). */
  async function flush(): Promise<void> {
    let failures = 0;
    let notBefore = lastWriteAt + MIN_WRITE_INTERVAL_MS;
    try {
      while (pending !== undefined) {
        const wait = notBefore - timers.now();
        if (wait > 0) await timers.sleep(wait);
        const version = pending;
        try {
          await kv.put(DATA_VERSION_KEY, version);
          if (pending === version) pending = undefined;
          failures = 0;
        } catch (error) {
          // Typically a 429: another isolate wrote the key within the second. The bump stays
          // pending and goes out with a later window, together with any bump made meanwhile.
          failures++;
          lastWriteAt = timers.now();
          if (failures >= MAX_FAILED_WRITES) {
            log.error("data version bump failed; the next bump retries it", { attempts: failures, error: describeError(error) });
            return;
          }
          const backoffMs = Math.min(MAX_BACKOFF_MS, MIN_WRITE_INTERVAL_MS * 2 ** (failures - 1));
          log.warn("data version bump refused; retrying", { attempt: failures, retryInMs: backoffMs, error: describeError(error) });
          notBefore = lastWriteAt + backoffMs;
          continue;
        }
        // Counted from when the write finished, which leaves the store the whole interval.
        lastWriteAt = timers.now();
        notBefore = lastWriteAt + MIN_WRITE_INTERVAL_MS;
      }
    } finally {
      // Cleared in the same step that saw nothing pending, so a bump made right after starts a
      // new flush instead of joining one that has already decided to stop.
      flushing = undefined;
    }
  }

  /** The version a read uses, from what KV held and what was pending before KV was read. */
  function settle(stored: string | null, pendingBefore: string | undefined) {
    // Another isolate's newer write: a later bump here must not name an older bookmark than it.
    if (stored) newestBookmark = freshestBookmark(newestBookmark, bookmarkOfVersion(stored));
    const version = currentVersion(stored, pendingBefore);
    return { version, bookmark: bookmarkOfVersion(version) };
  }

  return {
    bump(bookmark) {
      newestBookmark = freshestBookmark(newestBookmark, bookmark);
      pending = newVersion(timers.now(), newestBookmark);
      // Started on the next microtask, so `flushing` is set before flush() can clear it.
      flushing ??= Promise.resolve()
        .then(flush)
        .catch((error) => log.error("data version flush failed", { error: describeError(error) }));
      return flushing;
    },
    pending: () => pending,
    async readWith<T>(key: string) {
      // Taken before the KV read: a bump that lands while KV answers is then still counted.
      const before = pending;
      const [stored, value] = (await kv.getMany<unknown>([DATA_VERSION_KEY, key])) as [string | null, T | null];
      return { ...settle(stored, before), value };
    },
    async read() {
      const before = pending;
      return settle(await kv.get<string>(DATA_VERSION_KEY), before);
    },
  };
}
