import type { AppConfig } from "../config";
import type { Database, OpenSession } from "../data/database";
import { createDataVersion, systemTimers } from "../data/data-version";
import type { IngestMessage } from "../domain/ingest";
import type { AppDeps } from "../http/env";
import { createS3Client } from "../ingest/s3/s3-client";
import { createLogger, type LogFields } from "../log";
import { createMissAdmission } from "../http/middleware/read-cache";
import { createHotEntries } from "../http/middleware/hot-entries";
import { guardedMetrics } from "../metrics";
import type { KeyValueStore, MessageQueue, Metrics, RateLimiter, RateLimitPolicy } from "../ports";
import { createAuthenticator } from "../services/auth/authenticator";
import { createPageTotals } from "../services/page-totals";
import { createCertificateCache } from "../services/sns/certificate-cache";

/**
 * What a platform brings (src/platform/cloudflare, src/platform/deno): its database, key-value
 * store, queue producer, metrics sink and rate limiting, behind the core's ports. Everything else is built
 * here, once, the same way on every runtime.
 */
export interface PlatformPorts {
  db: Database;
  /** Sessions on that database (D1's Sessions API; a no-op where there is one copy of the data). */
  sessions: OpenSession;
  kv: KeyValueStore;
  ingestQueue: MessageQueue<IngestMessage>;
  /** Where data points go (Workers Analytics Engine; a log line per point on Deno). */
  metrics: Metrics;
  /** A limiter enforcing `policy`, counting in the windows of `now`. */
  rateLimiter(policy: RateLimitPolicy, now: () => Date): RateLimiter;
}

export interface DepsOptions {
  /** Fields on every log line besides the environment (e.g. `runtime: "deno"`). */
  logFields?: LogFields;
  /** The clock of everything that keeps time; the system clock unless a test passes its own. */
  now?: () => Date;
}

/**
 * The composition root: the core's long-lived services from a parsed configuration and the
 * platform's ports. The result lives as long as the isolate (or process) that built it, and so
 * do the caches it holds — the authenticator's verdict memory, the data version's pending bump,
 * the rate limiters' counts, the SNS signing certificates — so a test that builds fresh deps gets a fresh isolate.
 */
export function createDeps(config: AppConfig, ports: PlatformPorts, options: DepsOptions = {}): AppDeps {
  const now = options.now ?? (() => new Date());
  const log = createLogger(config.logLevel, { environment: config.environment, ...options.logFields }, now);
  const { periodSeconds, perKey, anonymous } = config.rateLimits;
  const { db, kv } = ports;
  return {
    config,
    db,
    sessions: ports.sessions,
    kv,
    dataVersion: createDataVersion(kv, log, { ...systemTimers, now: () => now().getTime() }),
    rateLimiters: {
      perKey: ports.rateLimiter({ name: "per-key", limit: perKey, periodSeconds }, now),
      anonymous: ports.rateLimiter({ name: "per-ip", limit: anonymous, periodSeconds }, now),
    },
    pageTotals: createPageTotals(),
    readCacheAdmission: createMissAdmission(),
    readCacheMemory: createHotEntries(),
    authenticator: createAuthenticator({ db, kv, log, adminApiKey: config.adminApiKey, now }),
    snsCertificates: createCertificateCache({ now }),
    log,
    metrics: guardedMetrics(ports.metrics, log),
    // SigV4 over the runtime's global fetch (aws4fetch), on every runtime.
    s3: createS3Client(config.ingest.s3),
    ingestQueue: ports.ingestQueue,
    now,
  };
}
