import type { KeyValueStore } from "../../core/ports";

/**
 * The core's KeyValueStore on Deno KV. Values are stored as their JSON text, UTF-8 encoded (the
 * same round trip as Workers KV's `put(JSON.stringify)` / `get("json")`; bytes rather than a
 * string because V8 serializes a string with any non-Latin-1 character at two bytes per
 * character). Deno KV reads are strongly consistent by default: every process sharing the
 * database sees a write at once.
 *
 * Two Deno KV limits shape it:
 * - a value holds at most 64 KiB, while a cached read of 100 games is ~50 KB and of 1000 games
 *   ~500 KB (Workers KV takes 25 MiB): larger values are split into chunks written first, and
 *   the entry that points at them is written last, so a reader never sees a half-written value;
 * - `expireIn` deletes "at some point after" the deadline: the expiry is also stored with the
 *   value and checked on read, so an entry is never served past its TTL.
 */

const ENTRY = "kv";
const CHUNK = "kv-chunk";
/** Bytes per chunk: below the 64 KiB value limit with room for serialization overhead. */
const CHUNK_BYTES = 60_000;
/** Chunks per atomic write: below the 800 KiB limit of one atomic operation. */
const CHUNKS_PER_COMMIT = 12;
/** The largest value accepted (Workers KV: 25 MiB); cached reads are far below it. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** Deno KV's getMany reads at most this many keys per call. */
const GET_MANY_MAX = 10;

interface Entry {
  /** The UTF-8 JSON text, for values up to CHUNK_BYTES. */
  data?: Uint8Array;
  /** Otherwise: where its chunks are. */
  chunks?: { id: string; count: number };
  /** Epoch ms after which the entry is treated as absent; null = no expiry. */
  expiresAt: number | null;
}

const entryKey = (key: string): Deno.KvKey => [ENTRY, key];
const chunkKey = (key: string, id: string, index: number): Deno.KvKey => [CHUNK, key, id, index];

export function createKvStore(kv: Deno.Kv, now: () => number = Date.now): KeyValueStore {
  const live = (entry: Entry | null): entry is Entry => entry !== null && (entry.expiresAt === null || entry.expiresAt > now());

  async function readChunks(key: string, chunks: NonNullable<Entry["chunks"]>): Promise<Uint8Array | null> {
    const keys = Array.from({ length: chunks.count }, (_, i) => chunkKey(key, chunks.id, i));
    const parts: Uint8Array[] = [];
    for (let i = 0; i < keys.length; i += GET_MANY_MAX) {
      for (const part of await kv.getMany<Uint8Array[]>(keys.slice(i, i + GET_MANY_MAX))) {
        // A chunk expired or was replaced under us: the value is gone, not corrupt.
        if (!(part.value instanceof Uint8Array)) return null;
        parts.push(part.value);
      }
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
    return bytes;
  }

  async function decode<T>(key: string, entry: Entry | null): Promise<T | null> {
    if (!live(entry)) return null;
    const data = entry.data ?? (entry.chunks ? await readChunks(key, entry.chunks) : null);
    return data === null ? null : (JSON.parse(new TextDecoder().decode(data)) as T);
  }

  async function deleteChunks(key: string, entry: Entry | null) {
    if (!entry?.chunks) return;
    for (let i = 0; i < entry.chunks.count; i += CHUNKS_PER_COMMIT * 8) {
      const op = kv.atomic();
      for (let j = i; j < Math.min(entry.chunks.count, i + CHUNKS_PER_COMMIT * 8); j++) op.delete(chunkKey(key, entry.chunks.id, j));
      await op.commit();
    }
  }

  return {
    async get<T>(key: string) {
      const { value } = await kv.get<Entry>(entryKey(key));
      return decode<T>(key, value);
    },

    async getMany<T>(keys: readonly string[]) {
      const results: (T | null)[] = [];
      for (let i = 0; i < keys.length; i += GET_MANY_MAX) {
        const slice = keys.slice(i, i + GET_MANY_MAX);
        const entries = await kv.getMany<Entry[]>(slice.map(entryKey));
        for (const [j, entry] of entries.entries()) results.push(await decode<T>(slice[j]!, entry.value));
      }
      return results;
    },

    async put(key, value, options) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new TypeError(`kv put ${key}: value is not JSON-serializable`);
      const ttlMs = options?.ttlSeconds ? options.ttlSeconds * 1000 : undefined;
      const expiresAt = ttlMs ? now() + ttlMs : null;
      const expiry = ttlMs ? { expireIn: ttlMs } : {};
      const previous = (await kv.get<Entry>(entryKey(key))).value;

      const bytes = new TextEncoder().encode(json);
      if (bytes.byteLength <= CHUNK_BYTES) {
        await kv.set(entryKey(key), { data: bytes, expiresAt } satisfies Entry, expiry);
      } else {
        if (bytes.byteLength > MAX_VALUE_BYTES) throw new RangeError(`kv put ${key}: ${bytes.byteLength} bytes is over ${MAX_VALUE_BYTES}`);
        const id = crypto.randomUUID();
        const count = Math.ceil(bytes.byteLength / CHUNK_BYTES);
        for (let i = 0; i < count; i += CHUNKS_PER_COMMIT) {
          const op = kv.atomic();
          for (let j = i; j < Math.min(count, i + CHUNKS_PER_COMMIT); j++) {
            op.set(chunkKey(key, id, j), bytes.slice(j * CHUNK_BYTES, (j + 1) * CHUNK_BYTES), expiry);
          }
          const result = await op.commit();
          if (!result.ok) throw new Error(`kv put ${key}: chunk write refused`);
        }
        await kv.set(entryKey(key), { chunks: { id, count }, expiresAt } satisfies Entry, expiry);
      }
      // The entry no longer points at the old chunks; readers that fetched it already get null.
      await deleteChunks(key, previous);
    },

    async delete(key) {
      const previous = (await kv.get<Entry>(entryKey(key))).value;
      await kv.delete(entryKey(key));
      await deleteChunks(key, previous);
    },
  };
}
