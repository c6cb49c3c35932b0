// The state an ingestion test looks at: the S3 harness (objects, injected faults, requests seen,
// alerts received), the tables the pipeline writes, and waits for the pipeline to get somewhere.
import { createScheduledController, env } from "cloudflare:test";
import { isolateDeps } from "../support/limited-env";
import worker from "../support/limited-worker";
import type { FaultRule, RecordedRequest } from "../harness/ingest-harness";
import { waitFor } from "../support/wait";

export type { FaultRule, RecordedRequest };

/** The harness in front of s3rver (see test/harness/ingest-harness.ts). */
export const harnessUrl = env.S3_ENDPOINT;
const bucketUrl = `${harnessUrl}/${env.S3_BUCKET}`;

async function harness(path: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(`${harnessUrl}/__harness/${path}`, init);
  if (!res.ok) throw new Error(`harness ${path}: ${res.status} ${await res.text()}`);
  return res;
}

export const setFaults = (rules: FaultRule[]) =>
  harness("faults", { method: "PUT", body: JSON.stringify(rules) }).then(() => undefined);
export const s3Requests = async (): Promise<RecordedRequest[]> => (await harness("requests")).json();
export const alerts = async (): Promise<{ text: string }[]> => (await harness("alerts")).json();

/** Empties the bucket, the harness state and every table the pipeline writes. */
export async function resetIngestState(): Promise<void> {
  await harness("reset", { method: "POST" });
  await env.DB.batch(
    ["ingest_staging", "ingest_files", "ingest_runs", "games"].map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
  );
}

/** Uploads an object to the real S3 server (unsigned, as the data team's tool would). */
export async function putObject(key: string, body: BodyInit, contentType = "application/json"): Promise<void> {
  const url = `${bucketUrl}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const res = await fetch(url, { method: "PUT", body, headers: { "Content-Type": contentType } });
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`);
}

export async function deleteObject(key: string): Promise<void> {
  await fetch(`${bucketUrl}/${key.split("/").map(encodeURIComponent).join("/")}`, { method: "DELETE" });
}

/** Fires the Worker's cron handler as the runtime would, and waits for it to finish. */
export async function runCron(): Promise<void> {
  const controller = createScheduledController({ cron: "0 3 * * *", scheduledTime: Date.now() });
  await worker.scheduled(controller, env);
}

/**
 * Waits until the Worker under test has written every data-version bump it made: bumps are
 * coalesced and written after the ledger already says `done` (src/core/data/data-version.ts).
 */
export async function waitForDataVersionWritten(): Promise<void> {
  await waitFor(async () => isolateDeps(env).dataVersion.pending() === undefined, { timeoutMs: 20_000, what: "the data version to be written" });
}

export interface FileRow {
  id: number;
  key: string;
  etag: string;
  status: string;
  attempts: number;
  records_seen: number | null;
  records_upserted: number | null;
  records_rejected: number | null;
  games_written: number | null;
  rejection_samples: string | null;
  last_error: string | null;
  run_id: number;
  sent_at: string | null;
}

export async function files(): Promise<FileRow[]> {
  return (await env.DB.prepare("SELECT * FROM ingest_files ORDER BY id").all<FileRow>()).results;
}

/** Waits until every ledger row is in a final state (done, failed, dead or superseded). */
export async function waitForFilesSettled(expected: number, timeoutMs = 45_000): Promise<FileRow[]> {
  return waitFor(
    async () => {
      const rows = await files();
      return rows.length === expected && rows.every((r) => ["done", "failed", "dead", "superseded"].includes(r.status)) ? rows : undefined;
    },
    { timeoutMs, what: `${expected} settled ledger rows` },
  );
}

export async function gameCount(platform?: string): Promise<number> {
  const row = platform
    ? await env.DB.prepare("SELECT count(*) AS n FROM games WHERE platform = ?").bind(platform).first<{ n: number }>()
    : await env.DB.prepare("SELECT count(*) AS n FROM games").first<{ n: number }>();
  return row!.n;
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

/** Polls the newest ledger row of `key` until its status is one of `statuses`. */
export const waitForStatus = (key: string, statuses: string[], timeoutMs = 30_000): Promise<FileRow> =>
  waitForFile(key, (row) => statuses.includes(row.status), `status ${statuses.join("|")}`, timeoutMs);

/** GetObject requests the harness saw, optionally only for keys containing `keyPart`. */
export async function getRequests(keyPart = ""): Promise<RecordedRequest[]> {
  return (await s3Requests()).filter((r) => r.op === "get" && decodeURIComponent(r.path).includes(keyPart));
}

/** Alerts the harness's webhook sink received whose text mentions every one of `parts`. */
export async function alertsMentioning(...parts: string[]): Promise<{ text: string }[]> {
  return (await alerts()).filter((a) => parts.every((p) => a.text.includes(p)));
}
