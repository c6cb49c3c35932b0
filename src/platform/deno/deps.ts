import { createAuthenticator } from "../../core/services/auth/authenticator";
import type { AppConfig } from "../../core/config";
import type { Database } from "../../core/data/database";
import type { AppDeps } from "../../core/http/env";
import { createS3Client } from "../../core/ingest/s3/s3-client";
import { createLogger } from "../../core/log";
import { createDataVersion } from "../../core/data/data-version";
import { denoKvStore } from "./kv-store";
import { denoKvQueue, type QueueSettings } from "./queue";
import { denoKvRateLimiter } from "./rate-limiter";

/** The core's services from Deno's: the Deno counterpart of src/platform/cloudflare/deps.ts. */
export function buildDeps(config: AppConfig, db: Database, kv: Deno.Kv, queue: QueueSettings): AppDeps {
  const { periodSeconds, perKey, anonymous } = config.rateLimits;
  const store = denoKvStore(kv);
  const log = createLogger(config.logLevel, { environment: config.environment, runtime: "deno" });
  const now = () => new Date();
  return {
    config,
    db,
    kv: store,
    dataVersion: createDataVersion(store, log),
    rateLimiters: {
      perKey: denoKvRateLimiter(kv, { name: "per-key", limit: perKey, periodSeconds }),
      anonymous: denoKvRateLimiter(kv, { name: "per-ip", limit: anonymous, periodSeconds }),
    },
    // The process's verdict memory: one instance for the life of the server.
    authenticator: createAuthenticator({ db, kv: store, log, adminApiKey: config.adminApiKey, now }),
    log,
    // The same SigV4 client (aws4fetch over the global fetch) as on Workers.
    s3: createS3Client(config.ingest.s3),
    ingestQueue: denoKvQueue(kv, queue),
    now,
  };
}
