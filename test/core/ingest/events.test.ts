// POST /api/ingest/events: EventBridge and S3 notification documents put files on the scanner's
// own ledger-and-queue path, against the real Worker, D1, Queues and s3rver behind the harness.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { runScan } from "../../../src/core/ingest/scanner";
import { S3_EVENT_EXAMPLES } from "../../../src/core/http/schemas/s3-events";
import { acceptS3Events } from "../../../src/core/services/ingest-events";
import { call, callJson } from "../../helpers/api";
import {
  alerts,
  fileByKey,
  files,
  gameCount,
  gamesSnapshot,
  getRequests,
  putObject,
  resetIngestState,
  runCron,
  runs,
  s3Requests,
  waitForFilesSettled,
  waitForStatus,
} from "../../helpers/ingest";
import { grouped, holdingQueue, iosRecords, realDeps } from "../../helpers/ingest-pipeline";
import { createdEvent, eventBridgeEvent, s3Notification, s3Record } from "../../helpers/s3-events";
import { expectProblem } from "../../support/problem";

interface Accepted {
  runId: number | null;
  filesEnqueued: number;
  ignored: number;
}

const post = (body: unknown, status = 202) => callJson<Accepted>("/api/ingest/events", status, { method: "POST", body }).then((r) => r.body);
const KEY = "daily/2021-12-09/ios.json";
const games = (count: number, name = "Game") => JSON.stringify(grouped(iosRecords(count, name)));

beforeEach(resetIngestState);

describe("POST /api/ingest/events records what S3 announces, as the scan would", () => {
  it("an EventBridge Object Created event: an event run records the file, and its games are ingested", async () => {
    await putObject(KEY, games(12));
    const body = await post(eventBridgeEvent(await createdEvent(KEY)));
    expect(body).toEqual({ runId: expect.any(Number), filesEnqueued: 1, ignored: 0 });
    expect((await runs()).map((r) => [r.id, r.trigger, r.status, r.objects_listed, r.files_enqueued])).toEqual([[body.runId, "event", "succeeded", 1, 1]]);
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key: KEY, status: "done", run_id: body.runId, attempts: 1 });
    expect(await gameCount("ios")).toBe(12);
  });

  it.each([
    ["spaces and a plus", "daily/2021-12-09/top games + extras.json"],
    ["unicode", "daily/2021-12-09/été/ランキング 🎮.json"],
    ["characters that look encoded", "daily/2021-12-09/100%25 real (1).json"],
  ])("an S3 notification with a key of %s records the decoded key and the quoted ETag, exactly as the scan lists them", async (_what, key) => {
    await putObject(key, games(3));
    const event = await createdEvent(key);
    expect(s3Notification(event).Records[0]!.s3.object.key).not.toBe(key); // it travels encoded
    expect(await post(s3Notification(event))).toMatchObject({ filesEnqueued: 1, ignored: 0 });
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key, etag: `"${event.etag}"`, status: "done", records_upserted: 3 });

    // The scan lists the same (key, ETag): nothing new, nothing sent, the file read once.
    expect(await runScan("cron", realDeps())).toMatchObject({ newFiles: 0, filesEnqueued: 0 });
    expect(await files()).toHaveLength(1);
    expect(await getRequests(key.split("/").at(-1)!)).toHaveLength(1);
  });

  it("the event's time is the file's timestamp: of two undated files, the one uploaded later wins whatever order they are processed in", async () => {
    const queue = holdingQueue();
    await putObject("daily/latest-a.json", games(2, "Earlier"));
    await putObject("daily/latest-b.json", games(2, "Later"));
    const earlier = await createdEvent("daily/latest-a.json", { time: "2021-12-09T03:00:00.000Z" });
    const later = await createdEvent("daily/latest-b.json", { time: "2021-12-09T04:00:00.000Z" });
    await acceptS3Events(s3Notification(later), realDeps({ ingestQueue: queue }));
    await acceptS3Events(s3Notification(earlier), realDeps({ ingestQueue: queue }));
    expect((await files()).map((f) => [f.key, (f as unknown as { last_modified: string }).last_modified])).toEqual([
      ["daily/latest-b.json", "2021-12-09T04:00:00.000Z"],
      ["daily/latest-a.json", "2021-12-09T03:00:00.000Z"],
    ]);
    await queue.release(); // the later file's message first, then the earlier one's
    await waitForFilesSettled(2);
    expect((await gamesSnapshot()).map((g) => g.name)).toEqual(["Later 0", "Later 1"]);
  });

  it("AWS's documented example bodies (OpenAPI examples) are accepted; the test event is acknowledged without a run", async () => {
    // They name the local sample bucket, which is not this test's: acknowledged and ignored.
    expect(await post(S3_EVENT_EXAMPLES.eventBridge.value)).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
    expect(await post(S3_EVENT_EXAMPLES.s3Notification.value)).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
    expect(await post(S3_EVENT_EXAMPLES.testEvent.value)).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
    expect(await runs()).toEqual([]);
    expect(await files()).toEqual([]);
  });
});

describe("what is acknowledged and ignored (counted), recording nothing", () => {
  it("ObjectRemoved records and Object Deleted events, other buckets, keys outside S3_PREFIX and non-data files", async () => {
    const object = { etag: "0123456789abcdef0123456789abcdef", size: 10 };
    const body = await post(
      s3Notification(
        { ...object, key: KEY, eventName: "ObjectRemoved:Delete" },
        { ...object, key: KEY, eventName: "ObjectRemoved:DeleteMarkerCreated" },
        { ...object, key: KEY, bucket: "someone-elses-bucket" },
        { ...object, key: "archive/2021-12-09/ios.json" },
        { ...object, key: "daily/2021-12-09/README.txt" },
      ),
    );
    expect(body).toEqual({ runId: null, filesEnqueued: 0, ignored: 5 });
    expect(await post(eventBridgeEvent({ ...object, key: KEY, detailType: "Object Deleted" }))).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
    expect(await post({ Service: "Amazon S3", Event: "s3:TestEvent", Time: "2021-12-09T03:00:00.000Z", Bucket: env.S3_BUCKET })).toEqual({
      runId: null,
      filesEnqueued: 0,
      ignored: 1,
    });
    expect(await runs()).toEqual([]);
    expect(await files()).toEqual([]);
  });

  it("a document mixing an ignored record with a file records the file and counts the other", async () => {
    await putObject(KEY, games(3));
    const event = await createdEvent(KEY);
    const body = await post(s3Notification({ ...event, eventName: "ObjectRemoved:Delete" }, event));
    expect(body).toMatchObject({ filesEnqueued: 1, ignored: 1 });
    await waitForFilesSettled(1);
  });
});

describe("a malformed body is a 400 problem naming the field, and records nothing", () => {
  const object = { key: KEY, etag: "0123456789abcdef0123456789abcdef", size: 10 };
  const withoutETag = () => {
    const doc = s3Notification(object);
    delete (doc.Records[0]!.s3.object as Record<string, unknown>).eTag;
    return doc;
  };
  const eventBridgeWithoutSize = () => {
    const event = eventBridgeEvent(object);
    delete (event.detail.object as Record<string, unknown>).size;
    return event;
  };
  const badKey = () => {
    const doc = s3Notification(object);
    doc.Records[0]!.s3.object.key = "daily/2021-12-09/%E0%A4%A.json";
    return doc;
  };
  const cases: [string, unknown, string][] = [
    ["an ObjectCreated record without eTag", withoutETag(), "Records.0.s3.object.eTag"],
    ["an EventBridge Object Created event without size", eventBridgeWithoutSize(), "detail.object.size"],
    ["a key that is not form-URL-encoded", badKey(), "Records.0.s3.object.key"],
    ["a record from another source", { Records: [{ ...s3Record(object), eventSource: "aws:sqs" }] }, "Records.0.eventSource"],
    ["an empty Records array", { Records: [] }, "Records"],
    ["a sequencer that is not hex", { Records: [s3Record({ ...object, sequencer: "not-hex" })] }, "Records.0.s3.object.sequencer"],
    ["an EventBridge event from another service", { ...eventBridgeEvent(object), source: "aws.ec2" }, "source"],
    ["none of the documents", { hello: "world" }, ""],
    ["an array", [s3Record(object)], ""],
  ];
  it.each(cases)("%s", async (_what, body, path) => {
    const problem = await expectProblem(await call("/api/ingest/events", { method: "POST", body }), 400, "validation");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(await runs()).toEqual([]);
  });

  it("a body that is not JSON is 400 malformed-json; another media type is 415", async () => {
    await expectProblem(await call("/api/ingest/events", { method: "POST", rawBody: "{Records:", contentType: "application/json" }), 400, "malformed-json");
    await expectProblem(await call("/api/ingest/events", { method: "POST", rawBody: "Records=1", contentType: "application/x-www-form-urlencoded" }), 415);
    expect(await runs()).toEqual([]);
  });
});

describe("size and cost of one request", () => {
  const minimalRecord = (i: number) => ({
    eventSource: "aws:s3",
    eventName: "ObjectCreated:Put",
    eventTime: "2021-12-09T03:00:00.000Z",
    s3: { bucket: { name: env.S3_BUCKET }, object: { key: `daily/b/${i}.json`, size: 1, eTag: `${String(i).padStart(32, "0")}` } },
  });

  it("a body of thousands of records is refused with 413 before anything is recorded", async () => {
    const body = { Records: Array.from({ length: 5_000 }, (_, i) => minimalRecord(i)) };
    await expectProblem(await call("/api/ingest/events", { method: "POST", body }), 413, "payload-too-large");
    expect(await runs()).toEqual([]);
  });

  it("the most records a body can hold (over 250) are recorded and sent in bounded batches, within the request", async () => {
    let count = 0;
    while (JSON.stringify({ Records: Array.from({ length: count + 1 }, (_, i) => minimalRecord(i)) }).length <= 64 * 1024) count++;
    expect(count).toBeGreaterThan(250);
    const queue = holdingQueue();
    const batches: number[] = [];
    const sendBatch = queue.sendBatch.bind(queue);
    queue.sendBatch = async (messages) => {
      batches.push(messages.length);
      await sendBatch(messages);
    };
    const started = Date.now();
    const result = await acceptS3Events({ Records: Array.from({ length: count }, (_, i) => minimalRecord(i)) }, realDeps({ ingestQueue: queue }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ filesEnqueued: count, ignored: 0 });
    expect(await files()).toHaveLength(count);
    expect(new Set(queue.held.map((m) => m.fileId)).size).toBe(count);
    expect(Math.max(...batches)).toBeLessThanOrEqual(100);
  });

  it("makes no S3 request", async () => {
    await putObject(KEY, games(3));
    const event = await createdEvent(KEY);
    const before = (await s3Requests()).length;
    expect(await acceptS3Events(s3Notification(event), realDeps({ ingestQueue: holdingQueue() }))).toMatchObject({ filesEnqueued: 1 });
    expect(await s3Requests()).toHaveLength(before);
  });
});

describe("duplicates, and the scan as reconciliation: each file version is ingested once", () => {
  it("the same event delivered 5 times concurrently, while a scan runs, records and sends the file once", async () => {
    await putObject(KEY, games(6));
    const event = eventBridgeEvent(await createdEvent(KEY));
    const [scan, ...answers] = await Promise.all([runScan("cron", realDeps()), ...Array.from({ length: 5 }, () => post(event))]);
    expect(scan.filesEnqueued + answers.reduce((n, a) => n + a.filesEnqueued, 0)).toBe(1);
    // Only the delivery that recorded or sent the file keeps a run: duplicates leave none behind.
    const eventRuns = (await runs()).filter((r) => r.trigger === "event");
    expect(eventRuns.map((r) => r.id).sort()).toEqual(answers.flatMap((a) => (a.runId === null ? [] : [a.runId])).sort());
    expect(eventRuns.length).toBeLessThanOrEqual(1);
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ status: "done", attempts: 1 });
    expect(await getRequests(KEY)).toHaveLength(1);
    expect(await gameCount()).toBe(6);
  });

  it("a file first seen by an event is not enqueued again by the daily scan", async () => {
    await putObject(KEY, games(3));
    await post(s3Notification(await createdEvent(KEY)));
    await waitForFilesSettled(1);
    await runCron();
    const cron = (await runs()).at(-1)!;
    expect(cron).toMatchObject({ trigger: "cron", status: "succeeded", objects_listed: 1, files_enqueued: 0 });
    expect(await files()).toHaveLength(1);
    expect(await getRequests(KEY)).toHaveLength(1);
  });

  it("a file first listed by the scan is not enqueued again by its (late) event", async () => {
    await putObject(KEY, games(3));
    const event = await createdEvent(KEY);
    await runCron();
    await waitForFilesSettled(1);
    expect(await post(eventBridgeEvent(event))).toEqual({ runId: null, filesEnqueued: 0, ignored: 0 });
    expect(await post(s3Notification(event))).toEqual({ runId: null, filesEnqueued: 0, ignored: 0 });
    expect((await runs()).map((r) => r.trigger)).toEqual(["cron"]);
    expect(await files()).toHaveLength(1);
    expect(await getRequests(KEY)).toHaveLength(1);
  });

  it("a scan still finds the file whose notification was lost", async () => {
    await putObject(KEY, games(3));
    await runCron();
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ status: "done" });
  });
});

describe("two versions of a key: the older one never wins", () => {
  it("an object replaced before the consumer read it ends superseded, without an alert; the new version's event ingests it", async () => {
    const queue = holdingQueue();
    await putObject(KEY, games(2, "Old"));
    const v1 = await createdEvent(KEY, { sequencer: "0055AED6DCD90281E5" });
    await acceptS3Events(s3Notification(v1), realDeps({ ingestQueue: queue }));
    await putObject(KEY, games(2, "New"));
    await queue.release();

    const old = await waitForStatus(KEY, ["done", "failed", "dead", "superseded"]);
    expect(old).toMatchObject({ etag: `"${v1.etag}"`, status: "superseded", attempts: 1 });
    expect(old.last_error).toMatch(/^superseded: .*changed/);
    expect(await alerts()).toEqual([]);
    expect(await gameCount()).toBe(0);

    const v2 = await createdEvent(KEY, { sequencer: "0055AED6DCD90281F0" });
    expect(await post(s3Notification(v2))).toMatchObject({ filesEnqueued: 1 });
    const current = await waitForStatus(KEY, ["done", "failed", "dead", "superseded"]);
    expect(current).toMatchObject({ etag: `"${v2.etag}"`, status: "done" });
    expect((await gamesSnapshot()).map((g) => g.name)).toEqual(["New 0", "New 1"]);
    expect(await alerts()).toEqual([]);

    // Neither the API's retry nor a scan brings the superseded version back.
    await expectProblem(await call(`/api/ingest/files/${old.id}/retry`, { method: "POST" }), 409, "conflict");
    expect(await runScan("cron", realDeps())).toMatchObject({ newFiles: 0, filesEnqueued: 0 });
    const run = (await callJson(`/api/ingest/runs/${old.run_id}`, 200)).body;
    expect(run.totals).toMatchObject({ superseded: 1, failed: 0, dead: 0 });
  });

  it("events arriving newest first: the older version's late event is acknowledged and not recorded (sequencer)", async () => {
    await putObject(KEY, games(2, "Old"));
    const v1 = await createdEvent(KEY, { sequencer: "0055AED6DCD90281E5", time: "2021-12-09T03:00:00.000Z" });
    await putObject(KEY, games(2, "New"));
    // The newer sequencer is shorter: compared after right-padding with zeros, it is still later.
    const v2 = await createdEvent(KEY, { sequencer: "0055AED6DCD9029", time: "2021-12-09T03:00:01.000Z" });

    expect(await post(s3Notification(v2))).toMatchObject({ filesEnqueued: 1, ignored: 0 });
    expect(await post(s3Notification(v1))).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
    expect(await post(eventBridgeEvent(v1))).toMatchObject({ filesEnqueued: 0, ignored: 1 });
    await waitForFilesSettled(1);
    expect((await files()).map((f) => [f.etag, f.status])).toEqual([[`"${v2.etag}"`, "done"]]);
    expect((await gamesSnapshot()).map((g) => g.name)).toEqual(["New 0", "New 1"]);
  });

  it("events in order, processed late: the first version is superseded, the second ingested, nothing alerts", async () => {
    const queue = holdingQueue();
    await putObject(KEY, games(2, "Old"));
    const v1 = await createdEvent(KEY, { sequencer: "0055AED6DCD90281E5" });
    await putObject(KEY, games(2, "New"));
    const v2 = await createdEvent(KEY, { sequencer: "0055AED6DCD90281F0" });
    await acceptS3Events(s3Notification(v1), realDeps({ ingestQueue: queue }));
    await acceptS3Events(s3Notification(v2), realDeps({ ingestQueue: queue }));
    await queue.release();
    const rows = await waitForFilesSettled(2);
    expect(rows.map((f) => [f.etag, f.status])).toEqual([
      [`"${v1.etag}"`, "superseded"],
      [`"${v2.etag}"`, "done"],
    ]);
    expect((await gamesSnapshot()).map((g) => g.name)).toEqual(["New 0", "New 1"]);
    expect(await alerts()).toEqual([]);
    expect(await fileByKey(KEY)).toMatchObject({ etag: `"${v2.etag}"` });
  });
});
