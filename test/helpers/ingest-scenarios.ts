import { env } from "cloudflare:test";
import { createLedger } from "../../src/core/data/ledger";
import type { IngestMessage } from "../../src/core/domain/ingest";
import { depsFor } from "../../src/platform/cloudflare/deps";
import { freshInvocationEnv } from "../support/limited-env";
import { alerts, files, s3Requests, waitFor, type FileRow, type RecordedRequest } from "./ingest";

/**
 * The Worker's own dependencies (config, D1, KV, S3 client, queue producer), as it builds them:
 * a fresh isolate's, spending one invocation's budget, with D1 and KV behind production's limits.
 */
export const workerDeps = () => depsFor(freshInvocationEnv(env));

/** Every game row, in a stable order: compare two snapshots to prove `games` did not change. */
export async function gamesSnapshot(): Promise<Record<string, unknown>[]> {
  return (await env.DB.prepare("SELECT * FROM games ORDER BY platform, store_id").all<Record<string, unknown>>()).results;
}

export async function stagingRowCount(): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM ingest_staging").first<{ n: number }>())!.n;
}

export async function runRows(): Promise<{ id: number; trigger: string; status: string; error: string | null; objects_listed: number; files_enqueued: number }[]> {
  return (await env.DB.prepare("SELECT * FROM ingest_runs ORDER BY id").all<never>()).results;
}

/** The newest ledger row of `key` (its latest version). */
export async function fileByKey(key: string): Promise<FileRow | undefined> {
  return (await files()).filter((f) => f.key === key).at(-1);
}

/** Polls the newest ledger row of `key` until `accept` holds. */
export function waitForFile(key: string, accept: (row: FileRow) => boolean, what: string, timeoutMs = 30_000): Promise<FileRow> {
  return waitFor(
    async () => {
      const row = await fileByKey(key);
      return row && accept(row) ? row : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${key}: ${what}` },
  );
}

/** GetObject requests the harness saw, optionally only for keys containing `keyPart`. */
export async function getRequests(keyPart = ""): Promise<RecordedRequest[]> {
  return (await s3Requests()).filter((r) => r.op === "get" && decodeURIComponent(r.path).includes(keyPart));
}

/**
 * Records the bucket's objects in the ledger exactly as a scan does (list, then insert as
 * `queued`) but sends nothing to the queue, so a test can deliver the messages itself.
 */
export async function ledgerWithoutQueue(prefix = env.S3_PREFIX): Promise<IngestMessage[]> {
  const deps = workerDeps();
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

/** Alerts the harness's webhook sink received whose text mentions every one of `parts`. */
export async function alertsMentioning(...parts: string[]): Promise<{ text: string }[]> {
  return (await alerts()).filter((a) => parts.every((p) => a.text.includes(p)));
}
