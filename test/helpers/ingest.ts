import { createScheduledController, env } from "cloudflare:test";
import { isolateDeps } from "../support/limited-env";
import worker from "../support/limited-worker";
import type { FaultRule, RecordedRequest } from "../harness/ingest-harness";

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

/** Polls until `check` returns a truthy value; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  { timeoutMs = 30_000, intervalMs = 100, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined | null | false;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
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

/** Waits until every ledger row is in a final state (done, failed or dead). */
export async function waitForFilesSettled(expected: number, timeoutMs = 45_000): Promise<FileRow[]> {
  return waitFor(
    async () => {
      const rows = await files();
      return rows.length === expected && rows.every((r) => ["done", "failed", "dead"].includes(r.status)) ? rows : undefined;
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
