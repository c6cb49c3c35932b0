// Dead letters, replay and alerting: a file whose message exhausts the ingest queue's retries
// goes through the real dead-letter queue into the Worker's DLQ consumer; the retry API puts it
// back; alert delivery problems never break a consumer; the cron's freshness check alerts.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkFreshness } from "../../../src/core/ingest/freshness";
import type { IngestMessage } from "../../../src/core/domain/ingest";
import worker from "../../support/limited-worker";
import { call, callJson } from "../../helpers/api";
import { alerts, alertsMentioning, files, gameCount, getRequests, harnessUrl, putObject, resetIngestState, runCron, setFaults, waitForFile, waitForFilesSettled } from "../../helpers/ingest";
import { grouped, iosRecords, ledgerWithoutQueue, realDeps } from "../../helpers/ingest-pipeline";
import { expectProblem } from "../../support/problem";

const KEY = "daily/2021-12-10/ios.top100.json";
const HOUR = 3_600_000;

beforeEach(resetIngestState);
afterEach(() => vi.restoreAllMocks());

/** An ingested file whose messages all went through: one `failed` by a permanent 403. */
async function failedFile(key = KEY, count = 12) {
  await putObject(key, JSON.stringify(grouped(iosRecords(count))));
  await setFaults([{ op: "get", key, times: 1, action: { kind: "status", status: 403, code: "AccessDenied" } }]);
  await runCron();
  return waitForFile(key, (r) => r.status === "failed", "failed by the 403");
}

describe("a message that keeps failing", () => {
  it("ends in the DLQ: the file is dead with its last error, an alert names it; retry then ingests it", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(12))));
    await setFaults([{ op: "get", action: { kind: "status", status: 500, code: "InternalError" } }]);
    await runCron();

    const dead = await waitForFile(KEY, (r) => r.status === "dead", "dead after the DLQ", 40_000);
    // max_retries = 3: four deliveries, each one GetObject, then the dead-letter queue.
    expect(dead.attempts).toBe(4);
    expect(await getRequests(KEY)).toHaveLength(4);
    expect(dead.last_error).toMatch(/^s3-500: GetObject .*InternalError/);
    expect(await gameCount()).toBe(0);
    const alerted = await alertsMentioning("Ingestion file is dead", KEY);
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).toContain(`/api/ingest/files/${dead.id}/retry`);
    expect(alerted[0]!.text).toContain("s3-500");

    await setFaults([]);
    const { body } = await callJson(`/api/ingest/files/${dead.id}/retry`, 202, { method: "POST" });
    expect(body).toMatchObject({ id: dead.id, key: KEY, status: expect.stringMatching(/^(queued|processing)$/) });

    const done = await waitForFile(KEY, (r) => r.status === "done", "done after the retry");
    expect(done).toMatchObject({ id: dead.id, attempts: 5, last_error: null, records_seen: 12, records_upserted: 12 });
    expect(await gameCount("ios")).toBe(12);
    expect(await getRequests(KEY)).toHaveLength(5);
  });
});

describe("a dead letter that arrives after the file was replayed", () => {
  it("is ignored: only the dead letter of the file's current send can kill it", async () => {
    const failed = await failedFile();
    const first = await env.DB.prepare("SELECT delivery_id FROM ingest_files WHERE id = ?").bind(failed.id).first<{ delivery_id: string }>();
    expect(first!.delivery_id).toBeTruthy();

    // The replay's message is accepted by the queue but not delivered yet (held for this test),
    // so the file waits in `queued` under a new delivery id.
    vi.spyOn(env.INGEST_QUEUE, "sendBatch").mockResolvedValueOnce(undefined as never);
    await callJson(`/api/ingest/files/${failed.id}/retry`, 202, { method: "POST" });
    const replayed = await env.DB.prepare("SELECT status, delivery_id FROM ingest_files WHERE id = ?").bind(failed.id).first<{ status: string; delivery_id: string }>();
    expect(replayed).toMatchObject({ status: "queued" });
    expect(replayed!.delivery_id).not.toBe(first!.delivery_id);

    const deadLetter = (deliveryId: string) =>
      createMessageBatch<IngestMessage>(env.INGEST_DLQ_NAME, [
        { id: `dl-${deliveryId}`, timestamp: new Date(), attempts: 1, body: { v: 1, fileId: failed.id, runId: failed.run_id, key: KEY, etag: failed.etag, deliveryId } },
      ]);
    await worker.queue(deadLetter(first!.delivery_id), env);
    expect((await files())[0]).toMatchObject({ status: "queued" });
    expect(await alertsMentioning("Ingestion file is dead", KEY)).toHaveLength(0);

    await worker.queue(deadLetter(replayed!.delivery_id), env);
    expect((await files())[0]).toMatchObject({ status: "dead" });
    expect(await alertsMentioning("Ingestion file is dead", KEY)).toHaveLength(1);
  });
});

describe("POST /api/ingest/files/{id}/retry", () => {
  it("is idempotent: a second call while the file is queued or processing sends nothing", async () => {
    const failed = await failedFile();
    expect(failed.attempts).toBe(1);
    // The replayed download is slow, so the file is still in flight when the second call lands.
    await setFaults([{ op: "get", times: 1, action: { kind: "delay", ms: 600 } }]);
    const send = vi.spyOn(env.INGEST_QUEUE, "sendBatch");

    const first = await callJson(`/api/ingest/files/${failed.id}/retry`, 202, { method: "POST" });
    const second = await callJson(`/api/ingest/files/${failed.id}/retry`, 202, { method: "POST" });
    expect(first.body.status).toBe("queued");
    expect(second.body.status).toMatch(/^(queued|processing)$/);
    expect(second.body.sentAt).toBe(first.body.sentAt);
    expect(send).toHaveBeenCalledTimes(1);

    const done = await waitForFile(KEY, (r) => r.status === "done", "done after one replay");
    expect(done.attempts).toBe(2);
    expect(await getRequests(KEY)).toHaveLength(2);
    expect(await gameCount("ios")).toBe(12);
  });

  it("sends one message when two retries of the same file race", async () => {
    const failed = await failedFile();
    await setFaults([{ op: "get", times: 1, action: { kind: "delay", ms: 600 } }]);
    const send = vi.spyOn(env.INGEST_QUEUE, "sendBatch");

    const [a, b] = await Promise.all([1, 2].map(() => call(`/api/ingest/files/${failed.id}/retry`, { method: "POST" })));
    expect([a!.status, b!.status]).toEqual([202, 202]);
    expect(send).toHaveBeenCalledTimes(1);
    const done = await waitForFile(KEY, (r) => r.status === "done", "done after one replay");
    expect(done.attempts).toBe(2);
  });

  it("answers 409 for a file that is already done, and 404 for an unknown id", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(3))));
    await runCron();
    const [done] = await waitForFilesSettled(1);
    expect(done!.status).toBe("done");
    const send = vi.spyOn(env.INGEST_QUEUE, "sendBatch");

    const conflict = await expectProblem(await call(`/api/ingest/files/${done!.id}/retry`, { method: "POST" }), 409, "conflict");
    expect(conflict.detail).toContain(String(done!.id));
    await expectProblem(await call(`/api/ingest/files/${done!.id + 1000}/retry`, { method: "POST" }), 404, "not-found");
    expect(send).not.toHaveBeenCalled();
    expect((await files())[0]).toMatchObject({ status: "done", attempts: 1 });
  });
});

describe("alert delivery problems never break a consumer", () => {
  /** The Worker's queue handler with ALERT_WEBHOOK_URL pointing somewhere else. */
  async function deliverWithWebhook(queue: string, body: IngestMessage, webhook: string) {
    const batch = createMessageBatch<IngestMessage>(queue, [{ id: "dl-1", timestamp: new Date(), attempts: 1, body }]);
    const retry = vi.spyOn(batch.messages[0]!, "retry");
    await worker.queue(batch, { ...env, ALERT_WEBHOOK_URL: webhook } as unknown as Env);
    return { result: await getQueueResult(batch, createExecutionContext()), retry };
  }

  const webhooks = [
    { name: "answers 500", url: () => `${harnessUrl}/__harness/webhook?status=500` },
    { name: "refuses the connection", url: () => "http://127.0.0.1:1/hooks/alerts" },
    { name: "never answers", url: () => `${harnessUrl}/__harness/webhook?hang=1` },
  ];

  it.each(webhooks)("the DLQ consumer marks the file dead and acks when the webhook $name", async ({ url }) => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(3))));
    const [message] = await ledgerWithoutQueue();
    const started = Date.now();
    const { result, retry } = await deliverWithWebhook(env.INGEST_DLQ_NAME, message!, url());
    expect(retry).not.toHaveBeenCalled();
    expect(result).toMatchObject({ outcome: "ok", explicitAcks: ["dl-1"], retryMessages: [] });
    expect((await files())[0]).toMatchObject({ status: "dead", last_error: "retries exhausted" });
    // The alert gives up after its own timeout (5 s) instead of holding the consumer.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await alerts()).toEqual([]);
  });

  it("the ingest consumer fails a file and acks when the webhook refuses the connection", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(3))));
    const [message] = await ledgerWithoutQueue();
    await setFaults([{ op: "get", action: { kind: "status", status: 403 } }]);
    const { result, retry } = await deliverWithWebhook("ingest", message!, "http://127.0.0.1:1/hooks/alerts");
    expect(retry).not.toHaveBeenCalled();
    expect(result).toMatchObject({ outcome: "ok", explicitAcks: ["dl-1"], retryMessages: [] });
    expect((await files())[0]).toMatchObject({ status: "failed" });
  });
});

describe("freshness: no file ingested successfully for 26 hours", () => {
  /** A run and one file that finished ingesting at `finishedAt`. */
  async function doneFileAt(finishedAt: Date) {
    const at = finishedAt.toISOString();
    const run = await env.DB.prepare("INSERT INTO ingest_runs (trigger, status, started_at, finished_at) VALUES ('cron', 'succeeded', ?, ?) RETURNING id")
      .bind(at, at)
      .first<{ id: number }>();
    await env.DB.prepare(
      "INSERT INTO ingest_files (run_id, key, etag, size, status, attempts, created_at, updated_at, finished_at) VALUES (?, 'daily/old.json', '\"e\"', 2, 'done', 1, ?, ?, ?)",
    )
      .bind(run!.id, at, at, at)
      .run();
  }

  const STALE = "No successful ingestion recently";
  const depsAt = (now: Date) => ({ ...realDeps(), now: () => now });

  it("alerts 27 h after the last success and not 25 h after it", async () => {
    const lastSuccess = new Date("2026-11-20T03:05:00.000Z");
    await doneFileAt(lastSuccess);

    expect(await checkFreshness(depsAt(new Date(lastSuccess.getTime() + 25 * HOUR)))).toEqual({ stale: false, lastSuccessAt: lastSuccess.toISOString() });
    expect(await alerts()).toEqual([]);

    expect(await checkFreshness(depsAt(new Date(lastSuccess.getTime() + 27 * HOUR)))).toEqual({ stale: true, lastSuccessAt: lastSuccess.toISOString() });
    const alerted = await alertsMentioning(STALE);
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).toContain("27 h ago");
  });

  it("counts from the first run when nothing has ever succeeded", async () => {
    const firstRun = new Date("2026-11-20T03:00:00.000Z");
    await env.DB.prepare("INSERT INTO ingest_runs (trigger, status, started_at) VALUES ('cron', 'failed', ?)").bind(firstRun.toISOString()).run();
    expect((await checkFreshness(depsAt(new Date(firstRun.getTime() + 25 * HOUR)))).stale).toBe(false);
    expect((await checkFreshness(depsAt(new Date(firstRun.getTime() + 27 * HOUR)))).stale).toBe(true);
    expect(await alertsMentioning(STALE, "since the first run")).toHaveLength(1);
  });

  it("is part of the cron: a run 27 h after the last success alerts, one 25 h after does not", async () => {
    await doneFileAt(new Date(Date.now() - 25 * HOUR));
    await runCron();
    expect(await alertsMentioning(STALE)).toEqual([]);

    await env.DB.prepare("UPDATE ingest_files SET finished_at = ?").bind(new Date(Date.now() - 27 * HOUR).toISOString()).run();
    await runCron();
    expect(await alertsMentioning(STALE)).toHaveLength(1);
  });

  it("still runs when the cron's scan fails", async () => {
    await doneFileAt(new Date(Date.now() - 27 * HOUR));
    await setFaults([{ op: "list", action: { kind: "status", status: 500 } }]);
    await expect(runCron()).rejects.toThrow(/s3-500/);
    expect(await alertsMentioning(STALE)).toHaveLength(1);
    expect(await alertsMentioning("Ingestion scan failed")).toHaveLength(1);
  });
});
