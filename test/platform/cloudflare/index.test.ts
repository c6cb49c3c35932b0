// The Worker's background entry points: which job each cron runs, and what a misconfigured
// Worker does with queue batches and cron firings — it alerts (reading ALERT_WEBHOOK_URL on its
// own, since the configuration as a whole does not parse) instead of silently letting the
// queue's retries run out, and the files whose messages ran out are sent again by the ledger
// sweep once the configuration is fixed.
import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resendAfterSeconds } from "../../../src/core/ingest/bounds";
import type { IngestMessage } from "../../../src/core/domain/ingest";
import { runScan } from "../../../src/core/ingest/scanner";
import { DAILY_SCAN_CRON, LEDGER_SWEEP_CRON } from "../../../src/core/ingest/schedule";
import { sweepLedger } from "../../../src/core/ingest/sweep";
import worker from "../../support/limited-worker";
import { alerts, alertsMentioning, files, putObject, resetIngestState, s3Requests, waitForStatus } from "../../helpers/ingest";
import { holdingQueue, iosRecord, realDeps, recordingQueue } from "../../helpers/ingest-pipeline";

const KEY = "daily/2021-12-09/ios.json";
const MISCONFIGURED = "Ingestion is misconfigured";
/** A deploy with a bad variable: the config does not parse, the webhook var is still fine. */
const brokenEnv = () => ({ ...env, S3_BUCKET: "Not_A_Bucket" }) as unknown as Env;

const fire = (cron: string, workerEnv: Env = env) =>
  // Called with the runtime's three arguments (the handler itself declares two).
  (worker.scheduled as ExportedHandlerScheduledHandler<Env>)(createScheduledController({ cron, scheduledTime: Date.now() }), workerEnv, createExecutionContext());

async function deliverTo(workerEnv: Env, body: IngestMessage, attempts = 1) {
  const batch = createMessageBatch<IngestMessage>("ingest", [{ id: `m-${attempts}`, timestamp: new Date(), attempts, body }]);
  const retryAll = vi.spyOn(batch, "retryAll");
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env, IngestMessage>)(batch, workerEnv, ctx);
  return { retryAll, result: await getQueueResult(batch, ctx) };
}

/** Moves the isolate's clock on, past the misconfiguration alert's once-per-10-minutes limit. */
const realNow = Date.now.bind(Date);
let clockOffsetMs = 0;
function advanceIsolateClock(ms: number) {
  clockOffsetMs += ms;
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + clockOffsetMs);
}

beforeEach(resetIngestState);
afterEach(() => vi.restoreAllMocks());

describe("scheduled()", () => {
  it(`${LEDGER_SWEEP_CRON} runs the ledger sweep: a file whose send failed is sent, and S3 is not listed`, async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    await runScan("cron", realDeps({ ingestQueue: recordingQueue({ failFirst: 1 }) })).catch(() => undefined);
    expect((await files())[0]).toMatchObject({ status: "queued", sent_at: null });
    const listsBefore = (await s3Requests()).filter((r) => r.op === "list").length;

    await fire(LEDGER_SWEEP_CRON);

    expect(await waitForStatus(KEY, ["done", "failed", "dead"])).toMatchObject({ status: "done", attempts: 1 });
    expect((await s3Requests()).filter((r) => r.op === "list")).toHaveLength(listsBefore);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM ingest_runs").first<{ n: number }>())!.n).toBe(1);
  });

  it(`${DAILY_SCAN_CRON} scans the bucket (a run with trigger cron) and ingests what it finds`, async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    await fire(DAILY_SCAN_CRON);
    expect(await waitForStatus(KEY, ["done", "failed", "dead"])).toMatchObject({ status: "done" });
    const runs = await env.DB.prepare("SELECT trigger, status FROM ingest_runs").all();
    expect(runs.results).toEqual([{ trigger: "cron", status: "succeeded" }]);
  });
});

describe("a misconfigured Worker", () => {
  it("queue(): alerts once per isolate per 10 minutes, naming the bad variable, and retries the batch later", async () => {
    advanceIsolateClock(60 * 60_000);
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const message: IngestMessage = { v: 1, fileId: 1, runId: 1, key: KEY, etag: '"e"' };

    const first = await deliverTo(brokenEnv(), message);
    expect(first.retryAll).toHaveBeenCalledWith({ delaySeconds: 300 });
    expect(first.result).toMatchObject({ outcome: "ok", retryBatch: { retry: true }, explicitAcks: [] });
    const alerted = await alertsMentioning(MISCONFIGURED, "S3_BUCKET");
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).toContain("queue (ingest)");
    // The variable's name, never its value.
    expect(alerted[0]!.text).not.toContain("Not_A_Bucket");
    expect(logged.mock.calls.flat().join("\n")).toContain("invalid configuration");

    // Every later delivery would page again: the isolate stays quiet for 10 minutes…
    await deliverTo(brokenEnv(), message, 2);
    advanceIsolateClock(9 * 60_000);
    await deliverTo(brokenEnv(), message, 3);
    expect(await alertsMentioning(MISCONFIGURED)).toHaveLength(1);
    // …then reminds.
    advanceIsolateClock(2 * 60_000);
    await deliverTo(brokenEnv(), message, 4);
    expect(await alertsMentioning(MISCONFIGURED)).toHaveLength(2);
  });

  it("scheduled(): alerts and fails the invocation", async () => {
    advanceIsolateClock(60 * 60_000);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expect(fire(LEDGER_SWEEP_CRON, brokenEnv())).rejects.toThrow(/S3_BUCKET/);
    const alerted = await alertsMentioning(MISCONFIGURED, "S3_BUCKET");
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).toContain(`scheduled (${LEDGER_SWEEP_CRON})`);
  });

  it("files whose messages ran out while it was broken are sent again once it is fixed", async () => {
    advanceIsolateClock(60 * 60_000);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await putObject(KEY, JSON.stringify([iosRecord(1), iosRecord(2)]));
    const t0 = new Date();
    const queue = holdingQueue();
    await runScan("cron", realDeps({ ingestQueue: queue, now: () => t0 }));
    // Every delivery the queue makes meets the broken Worker; then the message is gone.
    const maxRetries = realDeps().config.ingest.maxRetries;
    for (let attempts = 1; attempts <= maxRetries + 1; attempts++) {
      expect((await deliverTo(brokenEnv(), queue.held[0]!, attempts)).retryAll).toHaveBeenCalled();
    }
    expect(await alertsMentioning(MISCONFIGURED)).toHaveLength(1);
    expect((await files())[0]).toMatchObject({ status: "queued", attempts: 0 });

    // Fixed: the sweep past the resend bound sends the file again; it is ingested once.
    await sweepLedger(realDeps({ ingestQueue: recordingQueue(), now: () => new Date(t0.getTime() + resendAfterSeconds(realDeps().config.ingest) * 1000 + 1_000) }));
    expect(await waitForStatus(KEY, ["done", "failed", "dead"])).toMatchObject({ status: "done", attempts: 1, records_upserted: 2 });
    expect((await alerts()).filter((a) => !a.text.includes(MISCONFIGURED))).toEqual([]);
  });
});
