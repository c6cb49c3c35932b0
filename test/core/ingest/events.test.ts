// POST /api/ingest/events: EventBridge and S3 notification documents put files on the scanner's
// own ledger-and-queue path, against the real Worker, D1, Queues and s3rver behind the harness.
import { beforeEach, describe, expect, it } from "vitest";
import { callJson } from "../../helpers/api";
import { files, gameCount, putObject, resetIngestState, runs, waitForFilesSettled } from "../../helpers/ingest";
import { grouped, iosRecords } from "../../helpers/ingest-pipeline";
import { createdEvent, eventBridgeEvent, s3Notification } from "../../helpers/s3-events";

const post = (body: unknown, status: number) => callJson<{ runId: number | null; filesEnqueued: number; ignored: number }>("/api/ingest/events", status, { method: "POST", body });

beforeEach(resetIngestState);

describe("POST /api/ingest/events", () => {
  it("an EventBridge Object Created event records the file under an event run, and its games are ingested", async () => {
    const key = "daily/2021-12-09/ios.json";
    await putObject(key, JSON.stringify(grouped(iosRecords(12))));
    const { body } = await post(eventBridgeEvent(await createdEvent(key)), 202);
    expect(body).toEqual({ runId: expect.any(Number), filesEnqueued: 1, ignored: 0 });
    expect((await runs()).map((r) => [r.id, r.trigger, r.status, r.files_enqueued])).toEqual([[body.runId, "event", "succeeded", 1]]);
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key, status: "done", run_id: body.runId });
    expect(await gameCount("ios")).toBe(12);
  });

  it("an S3 notification with a key of spaces, + and unicode records the decoded key and the quoted ETag, as the scan lists them", async () => {
    const key = "daily/2021-12-09/top games + extras/été 🎮.json";
    await putObject(key, JSON.stringify(grouped(iosRecords(3))));
    const event = await createdEvent(key);
    const { body } = await post(s3Notification(event), 202);
    expect(body).toMatchObject({ filesEnqueued: 1, ignored: 0 });
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key, etag: `"${event.etag}"`, status: "done" });
  });
});
