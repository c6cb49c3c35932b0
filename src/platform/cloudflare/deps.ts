import { drizzle } from "drizzle-orm/d1";
import { createAuthenticator } from "../../core/services/auth/authenticator";
import { parseConfig } from "../../core/config";
import * as schema from "../../core/data/schema";
import type { AppDeps } from "../../core/http/env";
import { createS3Client } from "../../core/ingest/s3/s3-client";
import { createLogger } from "../../core/log";
import { createDataVersion } from "../../core/data/data-version";
import { kvStore } from "./kv-store";
import { cloudflareQueue } from "./queue";
import { bindingRateLimiter } from "./rate-limiter";

const built = new WeakMap<Env, AppDeps>();

/**
 * Turns the Worker's bindings into the core's services, once per `env` object (the runtime
 * reuses it across requests in an isolate). Throws ConfigError when a variable is invalid.
 */
export function depsFor(env: Env): AppDeps {
  let deps = built.get(env);
  if (!deps) {
    const config = parseConfig(env as unknown as Record<string, unknown>);
    const db = drizzle(env.DB, { schema });
    const kv = kvStore(env.CACHE);
    const log = createLogger(config.logLevel, { environment: config.environment });
    const now = () => new Date();
    deps = {
      config,
      db,
      kv,
      dataVersion: createDataVersion(kv, log),
      rateLimiters: {
        perKey: bindingRateLimiter(env.RATE_LIMIT_KEY),
        anonymous: bindingRateLimiter(env.RATE_LIMIT_ANON),
      },
      // This isolate's verdict memory lives as long as the isolate reuses `env`.
      authenticator: createAuthenticator({ db, kv, log, adminApiKey: config.adminApiKey, now }),
      log,
      s3: createS3Client(config.ingest.s3),
      ingestQueue: cloudflareQueue(env.INGEST_QUEUE),
      now,
    };
    built.set(env, deps);
  }
  return deps;
}
