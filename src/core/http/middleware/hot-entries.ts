/**
 * The read cache's entries this isolate served or stored lately, kept in memory so that a HIT
 * reads only the data version from KV, not the entry: no transfer of the body (50 KB for a page of
 * 100 games) and no parse of it (docs/BENCHMARKS.md, "Latest run: hot entries and a leaner HIT"). An entry
 * here is valid exactly when its KV twin would be: its version must equal the current one.
 *
 * Bounded by the characters it holds (an isolate has 128 MB:
 * https://developers.cloudflare.com/workers/platform/limits/#memory), least recently used first out.
 */
export interface HotEntries<T extends { body: string }> {
  get(key: string): T | undefined;
  set(key: string, entry: T): void;
  delete(key: string): void;
  /** Characters held (bodies and keys), for tests and logs. */
  readonly size: number;
}

/** 4 Mi characters: about 80 pages of 100 games, 8 MB of UTF-16 at most. */
export const HOT_ENTRIES_MAX_CHARS = 4 * 1024 * 1024;
/** A larger entry is left to KV alone: it would push out too many others. */
const MAX_ENTRY_SHARE = 8;

export function createHotEntries<T extends { body: string }>(maxChars = HOT_ENTRIES_MAX_CHARS): HotEntries<T> {
  const entries = new Map<string, T>();
  let size = 0;
  const weight = (key: string, entry: T) => key.length + entry.body.length;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    size -= weight(key, entry);
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      // Most recently used last: Map keeps insertion order.
      entries.delete(key);
      entries.set(key, entry);
      return entry;
    },
    set(key, entry) {
      remove(key);
      const w = weight(key, entry);
      if (w > maxChars / MAX_ENTRY_SHARE) return;
      entries.set(key, entry);
      size += w;
      for (const oldest of entries.keys()) {
        if (size <= maxChars) break;
        remove(oldest);
      }
    },
    delete: remove,
    get size() {
      return size;
    },
  };
}
