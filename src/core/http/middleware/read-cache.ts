import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../../digest";
import { describeError } from "../../log";
import type { AppEnv } from "../env";
import { entityTag } from "../../services/etag";
import type { Bookmark } from "../../domain/bookmark";

/** Cached reads outlive a missed version bump by at most this long. */
const ENTRY_TTL_SECONDS = 300;
/** Response headers that are part of a cached read. */
const KEPT_HEADERS = ["content-type", "link", "x-total-count", "x-total-count-relation"];

/** A miss is remembered this long: a second miss of the same key within it stores the entry. */
const ADMIT_WINDOW_MS = ENTRY_TTL_SECONDS * 1000;
/** The most misses an isolate remembers; the oldest is forgotten first. */
const MAX_REMEMBERED_MISSES = 10_000;

/**
 * Which misses are worth keeping. A KV write is the dearest thing a read does (docs/BENCHMARKS.md,
 * "The local cost of each operation"), production bills it at ten times a read, and most distinct
 * read URLs — every cursor page of a crawl, a one-off search — are never asked for again. So a miss
 * is kept only when the same key missed before in this isolate within the entry's TTL: one more
 * miss for a popular read, nothing at all for a one-off. It is kept in the isolate's memory first
 * and written to KV, for every other isolate, when it is read from memory (a third read).
 */
export interface MissAdmission {
  /** Records a miss of `key` at `now` (ms); true when the entry should be stored. */
  admit(key: string, now: number): boolean;
}

export function createMissAdmission(): MissAdmission {
  const missedAt = new Map<string, number>();
  return {
    admit(key, now) {
      const seen = missedAt.get(key);
      missedAt.delete(key);
      if (seen !== undefined && now - seen < ADMIT_WINDOW_MS) return true;
      missedAt.set(key, now);
      if (missedAt.size > MAX_REMEMBERED_MISSES) missedAt.delete(missedAt.keys().next().value!);
      return false;
    },
  };
}

export interface CachedRead {
  version: string;
  /** When it was computed (ms since the epoch); absent in entries stored before it was kept. */
  storedAt?: number;
  /**
   * How fresh the data is: the session's bookmark after the query (null where the platform has
   * none; absent in entries stored before it was kept).
   */
  bookmark?: Bookmark | null;
  etag: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Whether an entry may answer a client that sent `requested`: a client that sends back the
 * bookmark of its write must see that write, and elsewhere the data version may not yet say that
 * the entry predates it (KV carries the bump to other locations in about 60 s).
 */
const freshEnoughFor = (entry: CachedRead, requested: Bookmark | undefined): boolean =>
  requested === undefined || (typeof entry.bookmark === "string" && entry.bookmark >= requested);

/**
 * The longest request written into a cache key as it is. KV keys hold at most 512 bytes
 * (https://developers.cloudflare.com/kv/platform/limits/); a longer request is named by its
 * SHA-256 instead (`read:sha256:<hex>`, which no plain key can equal: those start with a method).
 * Plain keys spare most reads a digest (docs/BENCHMARKS.md, "Latest run: hot entries and a leaner HIT").
 */
const MAX_PLAIN_KEY_BYTES = 480;
const utf8 = new TextEncoder();

/** The request as a cache key: method, path, sorted query and, for POST, the parsed body. */
async function cacheKey(c: Context<AppEnv>): Promise<string> {
  // Hono has parsed the path already; only the query is parsed here, to sort it.
  const url = c.req.url;
  const queryAt = url.indexOf("?");
  const query = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
  query.sort();
  const body = c.req.method === "POST" && c.req.raw.body ? JSON.stringify(await c.req.json().catch(() => null)) : "";
  const request = `${c.req.method} ${c.req.path}?${query} ${body}`;
  if (utf8.encode(request).byteLength <= MAX_PLAIN_KEY_BYTES) return `read:${request}`;
  return `read:sha256:${await sha256Hex(request)}`;
}

/** RFC 9110 If-None-Match: weak comparison, `*` matches any current representation. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => opaque(tag) === opaque(etag));
}

/** A 200 with the entry's body, or a 304 when the client already holds this representation. */
function respond(c: Context<AppEnv>, entry: Pick<CachedRead, "etag" | "headers" | "body">): Response {
  const validators = { ETag: entry.etag, "Cache-Control": "private, no-cache" };
  if (matchesIfNoneMatch(c.req.header("If-None-Match"), entry.etag)) return c.body(null, 304, validators);
  return c.body(entry.body, 200, { ...entry.headers, ...validators });
}

/** The route's 200 response as a cache entry (the ETag is a digest of the body). */
async function entryOf(c: Context<AppEnv>, version: string): Promise<CachedRead> {
  const body = await c.res.text();
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = c.res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const bookmark = c.env.deps.session?.bookmark() ?? null;
  return { version, storedAt: c.env.deps.now().getTime(), bookmark, etag: await entityTag(body), headers, body };
}

/** An entry in the isolate's memory, and whether KV has it too. */
export type HeldRead = CachedRead & { inKv: boolean };

/** The current data version, and the entry for the key when one is current at it. */
type Lookup = { version: string; bookmark: Bookmark | null; entry: CachedRead | null; held?: HeldRead };

/**
 * Whether `entry` answers reads at `version`: computed at that version, and younger than
 * ENTRY_TTL_SECONDS wherever it is held (memory, or KV, which may hold it longer: a memory entry
 * is written there later), so a missed version bump is outlived no longer than the TTL.
 */
function isCurrent(c: Context<AppEnv>, entry: CachedRead, version: string): boolean {
  return entry.version === version && (entry.storedAt === undefined || c.env.deps.now().getTime() - entry.storedAt < ENTRY_TTL_SECONDS * 1000);
}

/**
 * The current data version and the entry for `key`, if current: from this isolate's memory when
 * it holds the entry at that version (only the version is read from KV), else both from KV in one
 * round trip.
 */
async function lookup(c: Context<AppEnv>, key: string): Promise<Lookup> {
  const { dataVersion, readCacheMemory: memory } = c.env.deps;
  const held = memory.get(key);
  if (held) {
    const current = await dataVersion.read();
    if (isCurrent(c, held, current.version)) return { ...current, entry: held, held };
    memory.delete(key);
  }
  const { version, bookmark, value } = await dataVersion.readWith<CachedRead>(key);
  const entry = value && isCurrent(c, value, version) ? value : null;
  if (entry?.storedAt !== undefined) memory.set(key, { ...entry, inKv: true });
  return { version, bookmark, entry };
}

/** Writes an entry to KV after the response; a failure leaves the cache as good as it was. */
function storeInKv(c: Context<AppEnv>, key: string, held: HeldRead) {
  const { kv, log } = c.env.deps;
  const { inKv: _inKv, ...entry } = held;
  const ageSeconds = entry.storedAt === undefined ? 0 : (c.env.deps.now().getTime() - entry.storedAt) / 1000;
  c.env.defer(
    Promise.resolve()
      .then(() => kv.put(key, entry, { ttlSeconds: Math.ceil(ENTRY_TTL_SECONDS - ageSeconds) }))
      // Info, not warn: mostly a 429 because another request stored the same entry within the
      // second (KV takes one write per second to a key), which leaves the cache as good.
      .catch((error) => log.info("read cache store failed", { requestId: c.get("requestId"), error: describeError(error) })),
  );
}

/**
 * Serves successful reads from the cache: from this isolate's memory after reading only the
 * data version, else from KV, which gives the version and the entry in one round trip (`lookup`);
 * an entry computed at an older version, older than the TTL, or older than the client's bookmark
 * is a miss. A miss that repeats (`MissAdmission`) keeps the fresh response, under the version
 * read *before* the query ran, so a write racing the query leaves the entry already outdated
 * rather than stale-but-current; it goes to KV when it is read again. The version is the stored
 * one combined with this isolate's bump not yet written (data/data-version.ts), so the writer's
 * own reads are fresh before its bump reaches KV.
 *
 * KV trouble never fails a read: when the lookup throws, the route answers from D1 uncached
 * (`X-Cache: BYPASS`, with its ETag, so If-None-Match still gets a 304) and a warning is logged;
 * a failing store of an entry is logged and otherwise ignored.
 */
export const readCache = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { log } = c.env.deps;
    const key = await cacheKey(c);
    let stored: Lookup;
    try {
      stored = await lookup(c, key);
    } catch (error) {
      log.warn("read cache unavailable; answering uncached", { requestId: c.get("requestId"), error: describeError(error) });
      c.set("cacheStatus", "BYPASS");
      await next();
      if (c.res.status !== 200) return;
      const fresh = await entryOf(c, "");
      c.header("X-Cache", "BYPASS");
      c.res = respond(c, fresh);
      return;
    }
    const { version, bookmark, entry, held } = stored;
    // A miss reads at least as fresh as the write that made this version (a replica that has not
    // seen it waits, or the primary answers), so old data is never stored under it. A hit reports
    // that bookmark too (X-D1-Bookmark): its entry is at least that fresh.
    if (bookmark) c.env.deps.session?.requireAtLeast(bookmark);

    if (entry && freshEnoughFor(entry, c.get("requestBookmark"))) {
      c.set("cacheStatus", "HIT");
      c.header("X-Cache", "HIT");
      // Read again from memory: worth sharing with every other isolate.
      if (held && !held.inKv) {
        held.inKv = true;
        storeInKv(c, key, held);
      }
      c.res = respond(c, entry);
      return;
    }

    c.set("cacheStatus", "MISS");
    c.set("dataVersion", version);
    await next();
    if (c.res.status !== 200) return;

    const fresh = await entryOf(c, version);
    if (c.env.deps.readCacheAdmission.admit(key, c.env.deps.now().getTime())) c.env.deps.readCacheMemory.set(key, { ...fresh, inKv: false });
    c.header("X-Cache", "MISS");
    c.res = respond(c, fresh);
  });
