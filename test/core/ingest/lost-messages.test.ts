// No file is ever stuck: a queue message that is lost after the queue accepted it (sent to
// nowhere, retries exhausted while the consumer could not work, retention expired) leaves a
// `queued` file that a later scan or sweep sends again once the resend bound has passed — and
// not before, so a message still in its retry schedule is not duplicated. The retry API takes
// such a file too, and the freshness check alerts on any file that stays unfinished. The clock
// is advanced through `deps.now`.
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { overdueAfterSeconds, resendAfterSeconds } from "../../../src/core/ingest/bounds";
import { processIngestMessage } from "../../../src/core/ingest/consumer";
import type { IngestDeps } from "../../../src/core/ingest/deps";
import { alertOverdueFiles } from "../../../src/core/ingest/freshness";
import { runScan } from "../../../src/core/ingest/scanner";
import { sweepLedger } from "../../../src/core/ingest/sweep";
import { callJson } from "../../helpers/api";
import { alerts, alertsMentioning, fileRow, files, gameCount, getRequests, putObject, resetIngestState, setFaults, waitForStatus } from "../../helpers/ingest";
import { holdingQueue, iosRecord, realDeps, recordingQueue } from "../../helpers/ingest-pipeline";

const KEY = "daily/2021-12-09/ios.json";
const OTHER = "daily/2021-12-09/android.json";
const config = realDeps().config.ingest;
const RESEND_MS = resendAfterSeconds(config) * 1000;
const OVERDUE_MS = overdueAfterSeconds(config) * 1000;
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

/** Scans the bucket into the ledger at `t0` with a queue that swallows every message. */
async function scanAndLoseMessages(t0: Date) {
  const nowhere = holdingQueue();
  await runScan("cron", realDeps({ ingestQueue: nowhere, now: () => t0 }));
  expect(nowhere.held.length).toBeGreaterThan(0);
  return nowhere.held;
}

/** The two ledger-driven senders: the daily scan and the frequent sweep. */
const SENDERS: { name: string; send: (deps: IngestDeps) => Promise<unknown> }[] = [
  { name: "scan", send: (deps) => runScan("cron", deps) },
  { name: "sweep", send: (deps) => sweepLedger(deps) },
];

beforeEach(resetIngestState);
afterEach(() => vi.restoreAllMocks());

describe.each(SENDERS)("a message lost after a successful send, then a $name", ({ send }) => {
  it("is not sent again within the resend bound, then is sent once and the file is processed once", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1), iosRecord(2)]));
    const t0 = new Date();
    await scanAndLoseMessages(t0);
    const [lost] = await files();
    expect(lost).toMatchObject({ status: "queued", attempts: 0, sent_at: t0.toISOString() });

    // Just inside the bound the message may still be in its retry schedule: nothing is sent.
    const early = recordingQueue();
    await send(realDeps({ ingestQueue: early, now: () => at(t0, RESEND_MS - 60_000) }));
    expect(early.sent).toEqual([]);
    expect((await files())[0]).toMatchObject({ status: "queued", sent_at: t0.toISOString() });

    // Past it, the file is sent again through the real queue, under a new delivery id.
    const late = recordingQueue();
    const t1 = at(t0, RESEND_MS + 1_000);
    await send(realDeps({ ingestQueue: late, now: () => t1 }));
    expect(late.sent.map((m) => m.fileId)).toEqual([lost!.id]);
    expect(late.sent[0]!.deliveryId).toBe((await fileRow(lost!.id)).delivery_id);
    const done = await waitForStatus(KEY, ["done", "failed", "dead"]);
    expect(done).toMatchObject({ status: "done", attempts: 1, records_upserted: 2 });
    expect(await getRequests(KEY)).toHaveLength(1);
    expect(await gameCount("ios")).toBe(2);

    // Done is final: later senders leave it alone.
    const after = recordingQueue();
    await send(realDeps({ ingestQueue: after, now: () => at(t1, 10 * RESEND_MS) }));
    expect(after.sent).toEqual([]);
    expect(await alerts()).toEqual([]);
  });
});

describe("a queued file whose message is still in the queue's hands", () => {
  it("is not re-sent while its transient retries run, even with the retry delays at their longest", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    const t0 = new Date();
    const [message] = await scanAndLoseMessages(t0);
    // Delivery 1 fails transiently: the file is released to `queued` and the message retried.
    await setFaults([{ op: "get", times: 1, action: { kind: "status", status: 503 } }]);
    expect(await processIngestMessage(message!, 1, realDeps({ now: () => at(t0, 1_000) }))).toMatchObject({ action: "retry" });
    expect(await fileRow(message!.fileId)).toMatchObject({ status: "queued", attempts: 1, sent_at: t0.toISOString() });

    const queue = recordingQueue();
    await sweepLedger(realDeps({ ingestQueue: queue, now: () => at(t0, RESEND_MS - 1_000) }));
    expect(queue.calls).toBe(0);
  });

  it("a send duplicated past the bound (a long backlog) is harmless: the file is written once", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1), iosRecord(2)]));
    const t0 = new Date();
    const [original] = await scanAndLoseMessages(t0);
    const resent = holdingQueue();
    await sweepLedger(realDeps({ ingestQueue: resent, now: () => at(t0, RESEND_MS + 1_000) }));
    expect(resent.held).toHaveLength(1);

    // Both messages arrive at once: one delivery works, the other waits or finds it done.
    const deps = realDeps();
    const decisions = await Promise.all([processIngestMessage(original!, 1, deps), processIngestMessage(resent.held[0]!, 1, deps)]);
    expect(decisions.filter((d) => d.action === "ack").length).toBeGreaterThanOrEqual(1);
    for (const message of [original!, resent.held[0]!]) expect(await processIngestMessage(message, 2, deps)).toEqual({ action: "ack" });
    expect((await files())[0]).toMatchObject({ status: "done", attempts: 1, records_upserted: 2 });
    expect(await getRequests(KEY)).toHaveLength(1);
  });
});

describe("POST /api/ingest/files/{id}/retry on a queued file", () => {
  it("re-sends a stuck one (sent longer ago than the bound), which is then processed once", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    await scanAndLoseMessages(new Date(Date.now() - RESEND_MS - 60_000));
    const [stuck] = await files();
    const send = vi.spyOn(env.INGEST_QUEUE, "sendBatch");

    const { body } = await callJson(`/api/ingest/files/${stuck!.id}/retry`, 202, { method: "POST" });
    expect(body).toMatchObject({ id: stuck!.id, status: expect.stringMatching(/^(queued|processing|done)$/) });
    expect(send).toHaveBeenCalledTimes(1);
    expect(Date.parse(body.sentAt)).toBeGreaterThan(Date.parse(stuck!.sent_at!));
    const done = await waitForStatus(KEY, ["done", "failed", "dead"]);
    expect(done).toMatchObject({ status: "done", attempts: 1 });
    expect(await getRequests(KEY)).toHaveLength(1);
  });

  it("re-sends one that was never sent (its send failed)", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    await runScan("cron", realDeps({ ingestQueue: recordingQueue({ failFirst: 1 }) })).catch(() => undefined);
    const [unsent] = await files();
    expect(unsent).toMatchObject({ status: "queued", sent_at: null });

    await callJson(`/api/ingest/files/${unsent!.id}/retry`, 202, { method: "POST" });
    expect(await waitForStatus(KEY, ["done", "failed", "dead"])).toMatchObject({ status: "done", attempts: 1 });
  });

  it("is idempotent for one sent recently: the file is returned unchanged and nothing is sent", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    await scanAndLoseMessages(new Date(Date.now() - 60_000));
    const before = await fileRow((await files())[0]!.id);
    const send = vi.spyOn(env.INGEST_QUEUE, "sendBatch");

    for (let i = 0; i < 2; i++) {
      const { body } = await callJson(`/api/ingest/files/${before.id}/retry`, 202, { method: "POST" });
      expect(body).toMatchObject({ status: "queued", sentAt: before.sent_at });
    }
    expect(send).not.toHaveBeenCalled();
    expect(await fileRow(before.id as number)).toEqual(before);
  });
});

describe("freshness: a file that has not finished within the overdue bound", () => {
  it("alerts once, naming it, while other files keep succeeding", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    const t0 = new Date(Date.now() - OVERDUE_MS - 60_000);
    await scanAndLoseMessages(t0);
    // A healthy file ingested just now: the old "nothing succeeded for 26 h" check stays quiet.
    await putObject(OTHER, JSON.stringify([iosRecord(7)]));
    await runScan("cron", realDeps({ ingestQueue: holdingQueue() }));
    const fresh = (await files()).find((f) => f.key === OTHER)!;
    expect(await processIngestMessage({ v: 1, fileId: fresh.id, runId: fresh.run_id, key: OTHER, etag: fresh.etag }, 1, realDeps())).toEqual({ action: "ack" });
    expect((await files()).find((f) => f.key === OTHER)).toMatchObject({ status: "done" });

    expect(await alertOverdueFiles(realDeps())).toBe(1);
    const alerted = await alertsMentioning("Ingestion files overdue", KEY);
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).not.toContain(OTHER);

    // Reported once: later checks stay quiet while it stays stuck.
    expect(await alertOverdueFiles(realDeps({ now: () => at(new Date(), 3_600_000) }))).toBe(0);
    expect(await alertsMentioning("Ingestion files overdue")).toHaveLength(1);
  });

  it("does not alert before the bound, and the sweep alerts past it", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    const t0 = new Date();
    await scanAndLoseMessages(t0);
    const queue = holdingQueue();
    await sweepLedger(realDeps({ ingestQueue: queue, now: () => at(t0, OVERDUE_MS - 60_000) }));
    expect(await alertsMentioning("Ingestion files overdue")).toEqual([]);
    // That sweep re-sent the stuck file (past the resend bound); its message is lost again.
    expect(queue.held).toHaveLength(1);

    await sweepLedger(realDeps({ ingestQueue: holdingQueue(), now: () => at(t0, OVERDUE_MS + 1_000) }));
    expect(await alertsMentioning("Ingestion files overdue", KEY)).toHaveLength(1);
  });

  it("a retried file starts a new overdue clock and can be reported again", async () => {
    await putObject(KEY, JSON.stringify([iosRecord(1)]));
    const t0 = new Date(Date.now() - 2 * OVERDUE_MS);
    await scanAndLoseMessages(t0);
    await alertOverdueFiles(realDeps());
    expect(await alertsMentioning("Ingestion files overdue")).toHaveLength(1);

    // The operator retries it; that message is lost too.
    vi.spyOn(env.INGEST_QUEUE, "sendBatch").mockResolvedValue(undefined as never);
    const [file] = await files();
    await callJson(`/api/ingest/files/${file!.id}/retry`, 202, { method: "POST" });
    expect(await alertOverdueFiles(realDeps({ now: () => at(new Date(), OVERDUE_MS - 60_000) }))).toBe(0);
    expect(await alertOverdueFiles(realDeps({ now: () => at(new Date(), OVERDUE_MS + 60_000) }))).toBe(1);
    expect(await alertsMentioning("Ingestion files overdue", KEY)).toHaveLength(2);
  });
});
