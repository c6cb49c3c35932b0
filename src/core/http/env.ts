import type { Principal } from "../auth/scopes";
import type { AppConfig } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../log";
import type { KeyValueStore, RateLimiter } from "../ports";

/** Long-lived services, built once per set of platform bindings. */
export interface AppDeps {
  config: AppConfig;
  db: Database;
  kv: KeyValueStore;
  rateLimiters: { perKey: RateLimiter; anonymous: RateLimiter };
  log: Logger;
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

export interface AppEnv {
  Bindings: RequestContext;
  Variables: {
    requestId: string;
    principal: Principal | undefined;
    cacheStatus: "HIT" | "MISS" | undefined;
  };
}
