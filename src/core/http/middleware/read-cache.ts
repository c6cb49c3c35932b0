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
 * Which misses are worth a KV write. A KV write is the dearest thing a read does (docs/BENCHMARKS.md,
 * "The local cost of each operation"), production bills it at ten times a read, and most distinct
 * read URLs — every cursor page of a crawl, a one-off search — are never asked for again. So a miss
 * is stored only when the same key missed before in this isolate within the entry's TTL: one more
 * miss for a popular read, no write at all for a one-off.
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

interface CachedRead {
  version: string;
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
 * Plain keys spare most reads a digest (docs/BENCHMARKS.md, "Where a cached read's time went").
 */
const MAX_PLAIN_KEY_BYTES = 480;
const utf8 = new TextEncoder();

/** The request as a cache key: method, path, sorted query and, for POST, the parsed body. */
async function cacheKey(c: Context<AppEnv>): Promise<string> {
  const url = new URL(c.req.url);
  url.searchParams.sort();
  const body = c.req.method === "POST" && c.req.raw.body ? JSON.stringify(await c.req.json().catch(() => null)) : "";
  const request = `${c.req.method} ${url.pathname}?${url.searchParams} ${body}`;
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
  return { version, bookmark: c.env.deps.session?.bookmark() ?? null, etag: await entityTag(body), headers, body };
}

/**
 * Serves successful reads from KV. The data version and the entry are fetched in one KV
 * round trip; an entry computed at an older version is a miss. A miss that repeats
 * (`MissAdmission`) stores the fresh response under the version read *before* the query ran, so a write racing the query leaves the
 * entry already outdated rather than stale-but-current. The version is the stored one combined
 * with this isolate's bump not yet written (data/data-version.ts), so the writer's own
 * reads are fresh before its bump reaches KV.
 *
 * KV trouble never fails a read: when the lookup throws, the route answers from D1 uncached
 * (`X-Cache: BYPASS`, with its ETag, so If-None-Match still gets a 304) and a warning is logged;
 * a failing store of an entry is logged and otherwise ignored.
 */
export const readCache = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { kv, dataVersion, log } = c.env.deps;
    const key = await cacheKey(c);
    let stored: { version: string; bookmark: string | null; value: CachedRead | null };
    try {
      stored = await dataVersion.readWith<CachedRead>(key);
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
    const { version, bookmark, value: entry } = stored;
    // A miss reads at least as fresh as the write that made this version (a replica that has not
    // seen it waits, or the primary answers), so old data is never stored under it. A hit reports
    // that bookmark too (X-D1-Bookmark): its entry is at least that fresh.
    if (bookmark) c.env.deps.session?.requireAtLeast(bookmark);

    if (entry && entry.version === version && freshEnoughFor(entry, c.get("requestBookmark"))) {
      c.set("cacheStatus", "HIT");
      c.header("X-Cache", "HIT");
      c.res = respond(c, entry);
      return;
    }

    c.set("cacheStatus", "MISS");
    c.set("dataVersion", version);
    await next();
    if (c.res.status !== 200) return;

    const fresh = await entryOf(c, version);
    if (c.env.deps.readCacheAdmission.admit(key, c.env.deps.now().getTime())) {
      c.env.defer(
        Promise.resolve()
          .then(() => kv.put(key, fresh, { ttlSeconds: ENTRY_TTL_SECONDS }))
          // Info, not warn: mostly a 429 because another request stored the same entry within the
          // second (KV takes one write per second to a key), which leaves the cache as good.
          .catch((error) => log.info("read cache store failed", { requestId: c.get("requestId"), error: describeError(error) })),
      );
    }
    c.header("X-Cache", "MISS");
    c.res = respond(c, fresh);
  });
