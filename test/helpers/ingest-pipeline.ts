// What an ingestion test drives the pipeline with: the Worker's own services (a fresh isolate's),
// producers that wrap the real ingest queue, a delivery to the Worker's queue handler, and
// data-file builders. The state the pipeline leaves (tables, harness, waits) is in ./ingest.ts.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { createLedger } from "../../src/core/data/ledger";
import type { IngestDeps } from "../../src/core/ingest/deps";
import type { IngestMessage } from "../../src/core/domain/ingest";
import type { MessageQueue } from "../../src/core/ports";
import { createMessageQueue } from "../../src/platform/cloudflare/queue";
import { depsFor } from "../../src/platform/cloudflare/deps";
import { freshInvocationEnv } from "../support/limited-env";
import worker from "../support/limited-worker";
import { files, type FileRow } from "./ingest";

/**
 * The real services the Worker builds from its bindings, with some replaced: a fresh isolate's,
 * spending one invocation's budget, with D1 and KV behind production's limits.
 */
export function realDeps(overrides: Partial<IngestDeps> = {}): IngestDeps {
  return { ...depsFor(freshInvocationEnv(env)), ...overrides };
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

/**
 * Records the bucket's objects in the ledger exactly as a scan does (list, then insert as
 * `queued`) but sends nothing to the queue, so a test can deliver the messages itself.
 */
export async function ledgerWithoutQueue(prefix = env.S3_PREFIX): Promise<IngestMessage[]> {
  const deps = realDeps();
  const ledger = createLedger(deps.db);
  const run = await ledger.createRun("manual", new Date());
  await ledger.recordObjects(run.id, await deps.s3.listAll(prefix), new Date());
  return (await files()).filter((f) => f.run_id === run.id).map((f) => ({ v: 1, fileId: f.id, runId: run.id, key: f.key, etag: f.etag }));
}

/** Data-team records for `count` iOS apps with ids from `firstId`, named `${name} ${i}`. */
export function iosRecords(count: number, name = "Game", firstId = 100_000): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    os: "ios",
    app_id: firstId + i,
    name: `${name} ${i}`,
    publisher_id: 42,
    publisher_name: "Publisher",
    bundle_id: `com.example.game${i}`,
    version: "1.0.0",
    icon_url: `https://example.com/icons/${i}.png`,
  }));
}

/** Groups records three by three, like the data team's grouped export. */
export const grouped = (records: unknown[]): unknown[][] => {
  const groups: unknown[][] = [];
  for (let i = 0; i < records.length; i += 3) groups.push(records.slice(i, i + 3));
  return groups;
};
