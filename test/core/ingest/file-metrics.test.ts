// Every delivery of an ingest file writes one data point to the METRICS dataset: its outcome
// (done, retry, failed, dead, superseded), its error code, the bytes downloaded, the records seen, rejected
// and upserted, the games written and how long it took — the figures the ledger records, so the
// dashboards and the API never disagree. Read from the limit-enforcing binding every Workers test
// runs with (test/support/limited-analytics-engine.ts); Miniflare's dataset keeps nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fileRow, putObject, resetIngestState, setFaults } from "../../helpers/ingest";
import { deliverToWorker, grouped, gzip, iosRecord, iosRecords, ledgerWithoutQueue, ndjson } from "../../helpers/ingest-pipeline";
import { metricsLog } from "../../support/limited-env";

beforeEach(async () => {
  await resetIngestState();
  metricsLog.clear();
});
afterEach(() => {
  metricsLog.clear();
  vi.restoreAllMocks();
});

const filePoints = () => metricsLog.points.filter((p) => p.blobs?.[0] === "ingest_file");

/** Uploads one file and records it in the ledger; returns the message a scan would send. */
async function queuedFile(key: string, body: string | ArrayBuffer) {
  await putObject(key, body);
  const [message] = await ledgerWithoutQueue();
  metricsLog.clear();
  return message!;
}

describe("the data point of an ingest file", () => {
  it("done: the ledger's counts, the bytes as stored (gzip), the duration, the file id and the attempt", async () => {
    // 5 valid games, one of them listed twice (seen, not upserted again), and one record without a name (rejected).
    const text = ndjson([...iosRecords(5), iosRecord(0), { os: "ios", app_id: 999 }]);
    const body = await gzip(text);
    const message = await queuedFile("daily/2021-12-11/mixed.ndjson.gz", body);
    await deliverToWorker(message, 1);

    const row = await fileRow(message.fileId);
    expect(row).toMatchObject({ status: "done", records_seen: 7, records_rejected: 1, records_upserted: 5, games_written: 5 });
    expect(filePoints()).toEqual([
      {
        indexes: ["ingest"],
        blobs: ["ingest_file", "done", "", message.key],
        doubles: [expect.any(Number), body.byteLength, 7, 1, 5, 5, message.fileId, 1],
      },
    ]);
    expect(filePoints()[0]!.doubles![0]).toBeGreaterThanOrEqual(0);
    expect(body.byteLength).toBeLessThan(text.length);
  });

  it("retry: a transient S3 failure is one point per delivery, with the error code and the attempt", async () => {
    const message = await queuedFile("daily/2021-12-11/ios.json", JSON.stringify(grouped(iosRecords(3))));
    await setFaults([{ op: "get", times: 1, action: { kind: "status", status: 503, code: "SlowDown" } }]);
    const result = await deliverToWorker(message, 1);
    expect(result.retryMessages).toHaveLength(1);
    await deliverToWorker(message, 2);

    expect(filePoints()).toEqual([
      { indexes: ["ingest"], blobs: ["ingest_file", "retry", "s3-503", message.key], doubles: [expect.any(Number), 0, 0, 0, 0, 0, message.fileId, 1] },
      { indexes: ["ingest"], blobs: ["ingest_file", "done", "", message.key], doubles: [expect.any(Number), expect.any(Number), 3, 0, 3, 3, message.fileId, 2] },
    ]);
  });

  it("failed: a file that is not JSON, with the bytes and records read before it broke", async () => {
    const text = `[[${JSON.stringify(iosRecord(1))}, ${JSON.stringify(iosRecord(2))}, {"os": "ios", "app_`;
    const message = await queuedFile("daily/2021-12-11/cut.json", text);
    await deliverToWorker(message, 1);

    expect(await fileRow(message.fileId)).toMatchObject({ status: "failed", last_error: expect.stringMatching(/^malformed-json:/) });
    expect(filePoints()).toEqual([
      { indexes: ["ingest"], blobs: ["ingest_file", "failed", "malformed-json", message.key], doubles: [expect.any(Number), text.length, 2, 0, 0, 0, message.fileId, 1] },
    ]);
  });

  it("superseded: a file replaced in S3 before it was read is one point with s3-412, and not a failure", async () => {
    const message = await queuedFile("daily/2021-12-11/replaced.json", JSON.stringify(grouped(iosRecords(3))));
    await putObject("daily/2021-12-11/replaced.json", JSON.stringify(grouped(iosRecords(4))));
    await deliverToWorker(message, 1);

    expect(await fileRow(message.fileId)).toMatchObject({ status: "superseded" });
    expect(filePoints()).toEqual([
      { indexes: ["ingest"], blobs: ["ingest_file", "superseded", "s3-412", message.key], doubles: [expect.any(Number), 0, 0, 0, 0, 0, message.fileId, 1] },
    ]);
  });

  it("dead: the dead letter's point names the failure that exhausted the retries", async () => {
    const message = await queuedFile("daily/2021-12-11/ios.json", JSON.stringify(grouped(iosRecords(3))));
    await setFaults([{ op: "get", action: { kind: "status", status: 500, code: "InternalError" } }]);
    await deliverToWorker(message, 1);
    await deliverToWorker(message, 1, "ingest-dlq");

    expect(await fileRow(message.fileId)).toMatchObject({ status: "dead" });
    expect(filePoints().map((p) => p.blobs)).toEqual([
      ["ingest_file", "retry", "s3-500", message.key],
      ["ingest_file", "dead", "s3-500", message.key],
    ]);
    // The ledger's attempt count: the consumer's one claim.
    expect(filePoints()[1]!.doubles).toEqual([0, 0, 0, 0, 0, 0, message.fileId, 1]);
  });

  it("a metrics sink that throws loses the point, never the file: it is ingested and acknowledged", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const message = await queuedFile("daily/2021-12-11/ios.json", JSON.stringify(grouped(iosRecords(4))));
    metricsLog.failWith = new Error("Analytics Engine is down");
    const result = await deliverToWorker(message, 1);

    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(await fileRow(message.fileId)).toMatchObject({ status: "done", records_upserted: 4, last_error: null });
    expect(metricsLog.points).toEqual([]);
    expect(warn.mock.calls.map((args) => String(args[0])).filter((line) => line.includes("metric dropped"))).toHaveLength(1);
  });
});
