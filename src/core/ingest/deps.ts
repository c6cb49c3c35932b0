import type { AppConfig } from "../config";
import type { Database, DatabaseSession, OpenSession } from "../data/database";
import type { Logger } from "../log";
import type { KeyValueStore, MessageQueue, Metrics } from "../ports";
import type { DataVersion } from "../data/data-version";
import type { IngestLimits } from "./limits";
import type { IngestMessage } from "../domain/ingest";
import type { S3Client } from "./s3/s3-client";

/** What the ingestion pipeline needs from the platform. */
export interface IngestDeps {
  config: AppConfig;
  /**
   * The isolate's database: outside a session, D1 runs every query on the primary. Invocation
   * deps (`inSession`, services/deps.ts) replace it with their session's.
   */
  db: Database;
  /** Opens a session on the database: one per request, queue message or cron run. */
  sessions: OpenSession;
  /** The invocation's session, whose bookmark a write hands to the data version; absent in the isolate's deps. */
  session?: DatabaseSession;
  kv: KeyValueStore;
  /** This isolate's data version (coalesced bumps, read-your-writes); lives as long as the deps. */
  dataVersion: DataVersion;
  log: Logger;
  /** Data points for dashboards (one per request, one per ingest file delivery); never throws. */
  metrics: Metrics;
  s3: S3Client;
  ingestQueue: MessageQueue<IngestMessage>;
  now(): Date;
  /** The caps a file must respect; INGEST_LIMITS unless a test sets smaller ones. */
  limits?: IngestLimits;
}

export const alertDeps = (deps: IngestDeps) => ({
  webhookUrl: deps.config.ingest.alertWebhookUrl,
  environment: deps.config.environment,
  log: deps.log,
});
