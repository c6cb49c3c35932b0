// Helpers for the pipeline-semantics tests (scanner, consumer, S3 client): snapshots of the
// tables the pipeline writes, data-file builders, and producers that wrap the real ingest queue.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import type { IngestDeps } from "../../src/core/ingest/deps";
import type { IngestMessage } from "../../src/core/domain/ingest";
import type { MessageQueue } from "../../src/core/ports";
import { createMessageQueue } from "../../src/platform/cloudflare/queue";
import { depsFor } from "../../src/platform/cloudflare/deps";
import { freshInvocationEnv } from "../support/limited-env";
import worker from "../support/limited-worker";
import { files, waitFor, type FileRow } from "./ingest";

/**
 * The real services the Worker builds from its bindings, with some replaced: a fresh isolate's,
 * spending one invocation's budget, with D1 and KV behind production's limits.
 */
export function realDeps(overrides: Partial<IngestDeps> = {}): IngestDeps {
  return { ...depsFor(freshInvocationEnv(env)), ...overrides };
}

export interface GameSnapshotRow {
  id: number;
  platform: string;
  store_id: string;
  bundle_id: string | null;
  name: string;
  publisher_id: string | null;
  publisher_name: string | null;
  app_version: string | null;
  is_published: number;
  icon_url: string | null;
  rank: number | null;
  created_at: string;
  updated_at: string;
  source_key: string | null;
  source_at: string | null;
  source_file_id: number | null;
}

/** Every column of every game, in a stable order. */
export async function gamesSnapshot(): Promise<GameSnapshotRow[]> {
  return (await env.DB.prepare("SELECT * FROM games ORDER BY platform, store_id").all<GameSnapshotRow>()).results;
}

/** A snapshot without the provenance columns: what a game says, not which file last dated it. */
export const gameContents = (rows: GameSnapshotRow[]) => rows.map(({ source_key: _k, source_at: _a, source_file_id: _f, ...game }) => game);

/** Every column of one ledger row. */
export async function fileRow(id: number): Promise<Record<string, unknown>> {
  const row = await env.DB.prepare("SELECT * FROM ingest_files WHERE id = ?").bind(id).first<Record<string, unknown>>();
  if (!row) throw new Error(`no ledger row ${id}`);
  return row;
}

export interface RunRow {
  id: number;
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  objects_listed: number;
  files_enqueued: number;
  error: string | null;
}

export async function runs(): Promise<RunRow[]> {
  return (await env.DB.prepare("SELECT * FROM ingest_runs ORDER BY id").all<RunRow>()).results;
}

export async function stagingCount(): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM ingest_staging").first<{ n: number }>())!.n;
}

export async function fileByKey(key: string): Promise<FileRow | undefined> {
  return (await files()).find((f) => f.key === key);
}

/** The message the scanner sends for a ledger row (see src/core/domain/ingest.ts). */
export const messageFor = (row: Pick<FileRow, "id" | "run_id" | "key" | "etag">): IngestMessage => ({
  v: 1,
  fileId: row.id,
  runId: row.run_id,
  key: row.key,
  etag: row.etag,
});

/**
 * A producer that keeps what the scanner sends instead of passing it on, so that a test can
 * act between the scan and the consumer (e.g. delete the object), then `release()` the very
 * messages to the real ingest queue, or hand them to the consumer itself.
 */
export function holdingQueue() {
  const held: IngestMessage[] = [];
  return {
    held,
    async sendBatch(messages: readonly IngestMessage[]) {
      held.push(...messages);
    },
    async release() {
      await createMessageQueue(env.INGEST_QUEUE).sendBatch(held.splice(0));
    },
  } satisfies MessageQueue<IngestMessage> & Record<string, unknown>;
}

/**
 * The real ingest queue, with a record of every message sent through it; `failFirst` makes that
 * many sendBatch calls throw first (the real queue cannot be made to refuse a send on demand).
 */
export function recordingQueue(options: { failFirst?: number } = {}) {
  const sent: IngestMessage[] = [];
  let failures = options.failFirst ?? 0;
  const real = createMessageQueue(env.INGEST_QUEUE);
  const recorder = {
    sent,
    calls: 0,
    async sendBatch(messages: readonly IngestMessage[]) {
      recorder.calls++;
      if (failures > 0) {
        failures--;
        throw new Error("injected: queue refused the batch");
      }
      await real.sendBatch(messages);
      sent.push(...messages);
    },
  };
  return recorder;
}

/** Delivers one message to the Worker's real `queue()` handler, as the runtime would. */
export async function deliverToWorker(body: IngestMessage, attempts = 1, queue = "ingest") {
  const batch = createMessageBatch<IngestMessage>(queue, [{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

export interface TestRecord {
  os: unknown;
  app_id?: unknown;
  name?: unknown;
  [field: string]: unknown;
}

/** A valid iOS record; strings stay short so that a garbled window always breaks the JSON. */
export const iosRecord = (i: number, overrides: Record<string, unknown> = {}): TestRecord => ({
  os: "ios",
  app_id: 100_000 + i,
  name: `Game ${i}`,
  publisher_id: 9_000 + i,
  publisher_name: `Pub ${i}`,
  bundle_id: `com.t.g${i}`,
  version: "1.0",
  rank: i + 1,
  ...overrides,
});

/** A valid Android record. */
export const androidRecord = (i: number, overrides: Record<string, unknown> = {}): TestRecord => ({
  os: "android",
  app_id: `com.t.a${i}`,
  name: `App ${i}`,
  publisher_id: `p${i}`,
  publisher_name: `Dev ${i}`,
  bundle_id: `com.t.a${i}`,
  version: "2.0",
  rank: i + 1,
  ...overrides,
});

export const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** Gzips text with the runtime's CompressionStream. */
export async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

/** Polls a ledger row by key until it reaches one of `statuses`. */
export async function waitForStatus(key: string, statuses: string[], timeoutMs = 30_000): Promise<FileRow> {
  return waitFor(
    async () => {
      const row = await fileByKey(key);
      return row && statuses.includes(row.status) ? row : undefined;
    },
    { timeoutMs, what: `${key} to be ${statuses.join("|")}` },
  );
}
