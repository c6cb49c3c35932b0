import type { Bookmark } from "../domain/bookmark";
import type { Principal } from "../domain/scopes";
import type { HotEntries } from "./middleware/hot-entries";
import type { HeldRead, MissAdmission } from "./middleware/read-cache";
import type { RateLimiter } from "../ports";
import type { ServiceDeps } from "../services/deps";

/** Long-lived services, built once per isolate (or process) by the composition root (src/core/compose/deps.ts). */
export interface AppDeps extends ServiceDeps {
  rateLimiters: { perKey: RateLimiter; anonymous: RateLimiter };
  /** Which cache misses are worth storing (http/middleware/read-cache.ts); this isolate's memory of recent misses. */
  readCacheAdmission: MissAdmission;
  /** The read cache's entries this isolate holds in memory (http/middleware/hot-entries.ts). */
  readCacheMemory: HotEntries<HeldRead>;
}

/** What the platform entry hands the app with every request (Hono's `c.env`). */
export interface RequestContext {
  deps: AppDeps;
  /** Keeps the runtime alive for work that must not delay the response. */
  defer(promise: Promise<unknown>): void;
  clientIp: string;
  /** An id the platform already assigned to the request (e.g. Cloudflare's cf-ray). */
  requestId?: string;
}

/** The part of the app's environment that naming a request and rendering a problem need. */
export interface RequestIdEnv {
  Bindings: { deps: Pick<AppDeps, "log">; requestId?: string | undefined };
  Variables: { requestId: string };
}

export interface AppEnv {
  Bindings: RequestContext;
  Variables: {
    requestId: string;
    principal: Principal | undefined;
    /** BYPASS: KV could not be read, the response came from D1 uncached. */
    cacheStatus: "HIT" | "MISS" | "BYPASS" | undefined;
    /** On a MISS: the data version the read cache read before the query (what the answer is stored under). */
    dataVersion: string | undefined;
    /** The valid `X-D1-Bookmark` the client sent: the answer must be at least that fresh, cached or not. */
    requestBookmark: Bookmark | undefined;
  };
}
