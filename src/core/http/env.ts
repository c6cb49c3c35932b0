import type { Authenticator } from "../services/auth/authenticator";
import type { Principal } from "../domain/scopes";
import type { IngestDeps } from "../ingest/deps";
import type { RateLimiter } from "../ports";

/** Long-lived services, built once per set of platform bindings. */
export interface AppDeps extends IngestDeps {
  rateLimiters: { perKey: RateLimiter; anonymous: RateLimiter };
  /** Verifies API keys; holds this isolate's (or process's) verdict memory. */
  authenticator: Authenticator;
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
    /** BYPASS: KV could not be read, the response came from D1 uncached. */
    cacheStatus: "HIT" | "MISS" | "BYPASS" | undefined;
  };
}
