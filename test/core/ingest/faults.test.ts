// The fault matrix of the ingestion pipeline: what each S3 failure leads to, asserted end to
// end through the real cron → queue → consumer (real D1, real local Queues, real s3rver behind
// the fault-injecting harness), plus single deliveries through the Worker's `queue()` to see
// the exact retry delays it asks for (the vitest plugin drops `delaySeconds` from
// getQueueResult, so `message.retry` is spied on).
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { processIngestMessage } from "../../../src/core/ingest/consumer";
import type { IngestMessage } from "../../../src/core/domain/ingest";
import worker from "../../support/limited-worker";
import { alerts, alertsMentioning, type FaultRule, files, gameCount, gamesSnapshot, getRequests, putObject, resetIngestState, runCron, runs, s3Requests, setFaults, stagingCount, waitForFile, waitForFilesSettled } from "../../helpers/ingest";
import { grouped, iosRecords, ledgerWithoutQueue, realDeps } from "../../helpers/ingest-pipeline";

type Action = FaultRule["action"];

/** Delivers one message to the Worker's queue handler, as the runtime would, and reports what it decided. */
async function deliver(body: IngestMessage, attempts: number, queue = "ingest") {
  const batch = createMessageBatch<IngestMessage>(queue, [{ id: `msg-${attempts}`, timestamp: new Date(), attempts, body }]);
  const message = batch.messages[0]!;
  const retry = vi.spyOn(message, "retry");
  const ack = vi.spyOn(message, "ack");
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  return { result, retry, ack };
}

const KEY = "daily/2021-12-09/ios.top100.json";

/** Transient GetObject faults; the timeout is a delay beyond S3_TIMEOUT_MS (1000 ms). */
const TRANSIENT: { name: string; action: Action; code: string }[] = [
  { name: "500", action: { kind: "status", status: 500 }, code: "s3-500" },
  { name: "503", action: { kind: "status", status: 503, code: "SlowDown" }, code: "s3-503" },
  { name: "429", action: { kind: "status", status: 429, code: "TooManyRequests" }, code: "s3-429" },
  { name: "a timeout (no answer within 1000 ms)", action: { kind: "delay", ms: 1_600 }, code: "timeout" },
];

beforeEach(resetIngestState);

describe.each(TRANSIENT)("GetObject answering $name", ({ action, code }) => {
  it("is retried through the real queue with growing delays and then ingested", async () => {
    const records = iosRecords(30);
    await putObject(KEY, JSON.stringify(grouped(records)));
    await setFaults([{ op: "get", times: 2, action }]);
    await runCron();

    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key: KEY, status: "done", attempts: 3, last_error: null, records_seen: 30, records_upserted: 30 });
    expect(await gameCount("ios")).toBe(30);

    const gets = await getRequests(KEY);
    expect(gets.map((g) => g.fault)).toEqual([action.kind, action.kind, null]);
    // Backoff through the real queue: ~1 s before the 2nd attempt, ~2 s before the 3rd.
    const gaps = [gets[1]!.at - gets[0]!.at, gets[2]!.at - gets[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
    // Transient failures alert nobody.
    expect(await alerts()).toEqual([]);
  });

  it("makes queue() ask for a retry with a delay that grows per attempt, leaving the file queued", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(6))));
    const [message] = await ledgerWithoutQueue();
    await setFaults([{ op: "get", times: 3, action }]);

    const delays: number[] = [];
    for (const attempt of [1, 2, 3]) {
      const { result, retry, ack } = await deliver(message!, attempt);
      expect(ack).not.toHaveBeenCalled();
      expect(retry).toHaveBeenCalledTimes(1);
      expect(result.outcome).toBe("ok");
      expect(result.retryMessages.map((m) => m.msgId)).toEqual([`msg-${attempt}`]);
      delays.push(retry.mock.calls[0]![0]!.delaySeconds!);
      const [row] = await files();
      expect(row).toMatchObject({ status: "queued", attempts: attempt });
      expect(row!.last_error).toMatch(new RegExp(`^${code}: `));
    }
    // INGEST_RETRY_BASE_SECONDS=1, INGEST_RETRY_MAX_SECONDS=2: 1 s, then 2 s, then capped at 2 s.
    expect(delays).toEqual([1, 2, 2]);
    expect(await gameCount()).toBe(0);

    const { result, retry, ack } = await deliver(message!, 4);
    expect(retry).not.toHaveBeenCalled();
    expect(ack).toHaveBeenCalledTimes(1);
    expect(result.explicitAcks).toEqual(["msg-4"]);
    expect((await files())[0]).toMatchObject({ status: "done", attempts: 4, last_error: null });
    expect(await gameCount("ios")).toBe(6);
  });
});

it("backs off exponentially (1, 2, 4, 8 s ±20 %) when the cap allows it", async () => {
  await putObject(KEY, JSON.stringify(grouped(iosRecords(3))));
  const [message] = await ledgerWithoutQueue();
  await setFaults([{ op: "get", times: 4, action: { kind: "status", status: 503 } }]);
  const base = realDeps();
  const deps = { ...base, config: { ...base.config, ingest: { ...base.config.ingest, retryBaseSeconds: 1, retryMaxSeconds: 3_600 } } };

  const delays: number[] = [];
  for (const attempt of [1, 2, 3, 4]) {
    const decision = await processIngestMessage(message, attempt, deps);
    expect(decision.action).toBe("retry");
    if (decision.action === "retry") delays.push(decision.delaySeconds);
  }
  expect(delays[0]).toBe(1);
  expect(delays[1]).toBe(2);
  expect(delays[2]).toBeGreaterThanOrEqual(3);
  expect(delays[2]).toBeLessThanOrEqual(5);
  expect(delays[3]).toBeGreaterThanOrEqual(6);
  expect(delays[3]).toBeLessThanOrEqual(10);
  expect(delays[3]!).toBeGreaterThan(delays[2]!);

  expect(await processIngestMessage(message, 5, deps)).toEqual({ action: "ack" });
  expect((await files())[0]).toMatchObject({ status: "done", attempts: 5 });
});

describe.each([
  { status: 403, code: "AccessDenied" },
  { status: 404, code: "NoSuchKey" },
])("GetObject answering $status", ({ status, code }) => {
  it("fails the file for good on the first attempt, without a retry, and alerts", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(9))));
    await setFaults([{ op: "get", action: { kind: "status", status, code } }]);
    await runCron();

    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row!.last_error).toMatch(new RegExp(`^s3-${status}: .*${code}`));
    expect(await getRequests(KEY)).toHaveLength(1);
    expect(await gameCount()).toBe(0);
    const alerted = await alertsMentioning(KEY, `s3-${status}`);
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).toContain("Ingestion failed");
  });

  it("makes queue() acknowledge the message instead of retrying it", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(3))));
    const [message] = await ledgerWithoutQueue();
    await setFaults([{ op: "get", action: { kind: "status", status, code } }]);
    const { result, retry, ack } = await deliver(message!, 1);
    expect(retry).not.toHaveBeenCalled();
    expect(ack).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ outcome: "ok", explicitAcks: ["msg-1"], retryMessages: [] });
    expect((await files())[0]).toMatchObject({ status: "failed", attempts: 1 });
  });
});

describe("GetObject answering 412 (the object was replaced since it was recorded)", () => {
  it("ends the file superseded on the first attempt, without a retry and without an alert", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(9))));
    await setFaults([{ op: "get", action: { kind: "status", status: 412, code: "PreconditionFailed" } }]);
    await runCron();

    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ status: "superseded", attempts: 1 });
    expect(row!.last_error).toMatch(/^superseded: .*PreconditionFailed/);
    expect(await getRequests(KEY)).toHaveLength(1);
    expect(await gameCount()).toBe(0);
    expect(await alertsMentioning(KEY)).toEqual([]);
  });

  it("makes queue() acknowledge the message instead of retrying it", async () => {
    await putObject(KEY, JSON.stringify(grouped(iosRecords(3))));
    const [message] = await ledgerWithoutQueue();
    await setFaults([{ op: "get", action: { kind: "status", status: 412, code: "PreconditionFailed" } }]);
    const { result, retry, ack } = await deliver(message!, 1);
    expect(retry).not.toHaveBeenCalled();
    expect(ack).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ outcome: "ok", explicitAcks: ["msg-1"], retryMessages: [] });
    expect((await files())[0]).toMatchObject({ status: "superseded", attempts: 1 });
  });
});

describe("a download cut off mid-way", () => {
  // Version 1 of the file is ingested first; version 2 renames every game. While version 2
  // keeps failing, `games` must still be exactly version 1's.
  const v1 = iosRecords(1_500, "Old name");
  const v2 = iosRecords(1_500, "New name");

  async function ingestVersion1() {
    await putObject(KEY, JSON.stringify(grouped(v1)));
    await runCron();
    await waitForFile(KEY, (r) => r.status === "done", "version 1 done");
    return gamesSnapshot();
  }

  it.each([
    { name: "truncated body (connection closed before Content-Length bytes)", action: (size: number): Action => ({ kind: "truncate", bytes: Math.floor(size / 2) }) },
    { name: "connection reset before any response", action: (): Action => ({ kind: "reset" }) },
  ])("$name is transient: games stay unchanged while it fails, then the file is applied", async ({ action }) => {
    const before = await ingestVersion1();
    expect(before).toHaveLength(1_500);

    const body = JSON.stringify(grouped(v2));
    await putObject(KEY, body);
    await setFaults([{ op: "get", times: 2, action: action(body.length) }]);
    await runCron();

    const failing = await waitForFile(KEY, (r) => r.status !== "done" && r.attempts >= 1 && r.last_error !== null, "version 2 failed once");
    expect(failing.status).not.toBe("failed");
    expect(failing.last_error).toMatch(/^(network|truncated): /);
    expect(await gamesSnapshot()).toEqual(before);

    const done = await waitForFile(KEY, (r) => r.status === "done", "version 2 done");
    const rows = await files();
    expect(rows).toHaveLength(2);
    expect(done).toMatchObject({ attempts: 3, records_seen: 1_500, games_written: 1_500, last_error: null });
    const after = await gamesSnapshot();
    expect(after).toHaveLength(1_500);
    expect(after.every((g) => String(g.name).startsWith("New name "))).toBe(true);
    expect(await stagingCount()).toBe(0);
    expect((await getRequests(KEY)).map((g) => g.fault)).toEqual([null, action(body.length).kind, action(body.length).kind, null]);
  });
});

it("a gzip file cut off mid-download is retried, not failed as malformed gzip", async () => {
  const gzKey = "daily/2021-12-09/ios.top100.json.gz";
  const plain = new TextEncoder().encode(JSON.stringify(grouped(iosRecords(1_500))));
  const compressed = new Uint8Array(
    await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)).arrayBuffer(),
  );
  await putObject(gzKey, compressed, "application/gzip");
  await setFaults([{ op: "get", times: 2, action: { kind: "truncate", bytes: Math.floor(compressed.length / 2) } }]);
  await runCron();

  const [row] = await waitForFilesSettled(1);
  expect(row).toMatchObject({ key: gzKey, status: "done", attempts: 3, records_seen: 1_500, records_upserted: 1_500 });
  expect(await gameCount("ios")).toBe(1_500);
  expect(await alerts()).toEqual([]);
});

/**
 * A grouped file whose middle is a long run of whitespace between two groups, so the harness's
 * `garble` (16 bytes of `#` at the middle) always lands between tokens and breaks the JSON,
 * never inside a string where it would go unnoticed.
 */
function fileWithGarbleableMiddle(records: unknown[]): string {
  const half = Math.floor(records.length / 2);
  const a = JSON.stringify(grouped(records.slice(0, half))).slice(0, -1); // "[[…],…[…]"
  const b = JSON.stringify(grouped(records.slice(half))).slice(1); // "[…],…[…]]"
  const padding = Math.abs(a.length - b.length) + 64;
  return `${a},${" ".repeat(padding)}${b}`;
}

it("a garbled body is a permanent malformed-json failure: games unchanged, no staging rows, alert", async () => {
  await putObject(KEY, JSON.stringify(grouped(iosRecords(2_400, "Old name"))));
  await runCron();
  await waitForFile(KEY, (r) => r.status === "done", "version 1 done");
  const before = await gamesSnapshot();
  expect(before).toHaveLength(2_400);

  const v2 = fileWithGarbleableMiddle(iosRecords(2_400, "New name"));
  expect(JSON.parse(v2).flat()).toHaveLength(2_400); // valid until garbled
  await putObject(KEY, v2);
  await setFaults([{ op: "get", action: { kind: "garble" } }]);
  await runCron();

  const failed = await waitForFile(KEY, (r) => r.status === "failed", "version 2 failed");
  expect(failed.attempts).toBe(1);
  expect(failed.last_error).toMatch(/^malformed-json: /);
  expect(await gamesSnapshot()).toEqual(before);
  expect(await stagingCount()).toBe(0);
  expect((await getRequests(KEY)).map((g) => g.fault)).toEqual([null, "garble"]);
  expect(await alertsMentioning(KEY, "malformed-json")).toHaveLength(1);
});

describe("a listing that fails part-way", () => {
  const keys = ["a", "b", "c", "d", "e"].map((n) => `daily/2021-12-09/${n}.json`);

  beforeEach(async () => {
    // S3_LIST_PAGE_SIZE=2: five objects make three pages.
    for (const [i, key] of keys.entries()) await putObject(key, JSON.stringify(grouped(iosRecords(3, key, 1_000 + 10 * i))));
  });

  it.each([
    { name: "the first page is cut off", rule: { op: "list", times: 1, action: { kind: "truncate-listing" } }, pagesRequested: 1, error: /^malformed-listing: / },
    { name: "the second page is cut off", rule: { op: "list", skip: 1, times: 1, action: { kind: "truncate-listing" } }, pagesRequested: 2, error: /^malformed-listing: / },
    { name: "the second page answers 500", rule: { op: "list", skip: 1, times: 1, action: { kind: "status", status: 500 } }, pagesRequested: 2, error: /^s3-500: .*page 2/ },
    { name: "the last page answers 503", rule: { op: "list", skip: 2, times: 1, action: { kind: "status", status: 503 } }, pagesRequested: 3, error: /^s3-503: .*page 3/ },
  ] satisfies { name: string; rule: FaultRule; pagesRequested: number; error: RegExp }[])(
    "$name: the scan fails, records and enqueues nothing, and alerts",
    async ({ rule, pagesRequested, error }) => {
      await setFaults([rule]);
      await expect(runCron()).rejects.toThrow(/failed|malformed|s3-/);

      const [run, ...others] = await runs();
      expect(others).toEqual([]);
      expect(run).toMatchObject({ trigger: "cron", status: "failed", files_enqueued: 0 });
      expect(run!.error).toMatch(error);
      expect(await files()).toEqual([]);
      expect(await stagingCount()).toBe(0);
      const lists = (await s3Requests()).filter((r) => r.op === "list");
      expect(lists).toHaveLength(pagesRequested);
      expect(lists.at(-1)!.fault).toBe(rule.action.kind);
      const alerted = await alertsMentioning("Ingestion scan failed");
      expect(alerted).toHaveLength(1);
      expect(alerted[0]!.text).toContain(`*runId:* ${run!.id}`);
    },
  );

  it("a transient listing failure is followed by a normal scan the next time", async () => {
    await setFaults([{ op: "list", skip: 1, times: 1, action: { kind: "status", status: 503 } }]);
    await expect(runCron()).rejects.toThrow(/s3-503/);
    expect(await files()).toEqual([]);

    await runCron();
    const [failedRun, run] = await runs();
    expect(failedRun).toMatchObject({ status: "failed" });
    expect(run).toMatchObject({ status: "succeeded", objects_listed: 5, files_enqueued: 5, error: null });
    const rows = await waitForFilesSettled(5);
    expect(rows.map((r) => [r.key, r.status, r.run_id])).toEqual(keys.map((k) => [k, "done", run!.id]));
    expect(await gameCount("ios")).toBe(15);
  });
});
