import type { Database, DatabaseSession, OpenSession } from "../data/database";
import type { SessionStart } from "../domain/bookmark";
import type { IngestDeps } from "../ingest/deps";
import type { Authenticator } from "./auth/authenticator";
import type { PageTotals } from "./page-totals";
import type { CertificateCache } from "./sns/certificate-cache";

/** What the services need, built once per isolate (or process) by the composition root (src/core/compose/deps.ts). */
export interface ServiceDeps extends IngestDeps {
  /** Verifies API keys; holds this isolate's (or process's) verdict memory. */
  authenticator: Authenticator;
  /** The totals this isolate has counted, per data version and filter. */
  pageTotals: PageTotals;
  /** The SNS signing certificates this isolate (or process) has fetched. */
  snsCertificates: CertificateCache;
}

/**
 * `deps` whose queries run in a new session: the deps of one invocation (a request, a queue
 * message, a cron run), built from the isolate's. Its `db` is read from the session when first
 * used, so an invocation that never queries (a cached read) never builds a drizzle instance.
 */
export function inSession<D extends { db: Database; sessions: OpenSession }>(deps: D, start: SessionStart): D & { session: DatabaseSession } {
  const session = deps.sessions(start);
  return {
    ...deps,
    session,
    get db() {
      return session.db;
    },
  };
}
