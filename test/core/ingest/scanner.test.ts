import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createLedger } from "../../../src/core/data/ledger";
import { runScan, ScanFailedError } from "../../../src/core/ingest/scanner";
import { alerts, fileByKey, files, gameContents, gamesSnapshot, putObject, resetIngestState, runCron, runs, s3Requests, waitForFilesSettled } from "../../helpers/ingest";
import { holdingQueue, iosRecord, recordingQueue, realDeps } from "../../helpers/ingest-pipeline";
import { waitFor } from "../../support/wait";

/** A small valid data file: `count` iOS games starting at `from`. */
const dataFile = (from: number, count = 2) => JSON.stringify(Array.from({ length: count }, (_, i) => iosRecord(from + i)));

async function putDataFiles(keys: string[]): Promise<void> {
  for (const [i, key] of keys.entries()) await putObject(key, dataFile(i * 10));
}

const FIVE_FILES = ["a", "b", "c", "d", "e"].map((n) => `daily/2021-12-09/${n}.json`);

describe("scanner", () => {
  beforeEach(resetIngestState);

  it("a second scan enqueues nothing: the ledger is unchanged and no message is sent", async () => {
    await putDataFiles(FIVE_FILES.slice(0, 2));
    await runCron();
    await waitForFilesSettled(2);
    const ledgerBefore = await files();
    expect(ledgerBefore.every((f) => f.status === "done" && f.sent_at !== null)).toBe(true);

    await runCron();
    const queue = recordingQueue();
    const direct = await runScan("manual", realDeps({ ingestQueue: queue }));

    expect(direct).toMatchObject({ objectsListed: 2, newFiles: 0, filesEnqueued: 0 });
    expect(queue.calls).toBe(0);
    const [first, second, third] = await runs();
    expect(first).toMatchObject({ status: "succeeded", objects_listed: 2, files_enqueued: 2 });
    expect(second).toMatchObject({ status: "succeeded", objects_listed: 2, files_enqueued: 0, error: null });
    expect(third).toMatchObject({ status: "succeeded", objects_listed: 2, files_enqueued: 0 });
    // Every column of every ledger row, including sent_at, run_id and updated_at, is untouched.
    expect(await files()).toEqual(ledgerBefore);
  });

  it("files already sent, or being processed under a live lease, are not sent again; an abandoned one is", async () => {
    await putDataFiles(FIVE_FILES.slice(0, 3));
    const held = holdingQueue();
    await runScan("cron", realDeps({ ingestQueue: held }));
    const [sent, live, abandoned] = await files();
    const ledger = createLedger(realDeps().db);
    const now = new Date();
    // One consumer is working on `live`; another took `abandoned` and died (its lease ran out).
    expect(await ledger.claimFile(live!.id, live!.etag, "live-lease", new Date(now.getTime() + 600_000), now)).toBeDefined();
    expect(await ledger.claimFile(abandoned!.id, abandoned!.etag, "dead-lease", new Date(now.getTime() - 1_000), now)).toBeDefined();

    const queue = recordingQueue();
    const result = await runScan("manual", realDeps({ ingestQueue: queue }));

    expect(result.filesEnqueued).toBe(1);
    expect(queue.sent.map((m) => m.fileId)).toEqual([abandoned!.id]);
    expect(await fileByKey(sent!.key)).toEqual(sent);
    expect(await fileByKey(live!.key)).toMatchObject({ status: "processing", attempts: 1 });
    // The abandoned file is processed again from the start.
    const recovered = await waitFor(async () => {
      const row = await fileByKey(abandoned!.key);
      return row?.status === "done" ? row : undefined;
    }, { what: "abandoned file re-ingested" });
    expect(recovered).toMatchObject({ attempts: 2, records_upserted: 2 });

    // Release the held message and let the live consumer's file finish: terminal states only.
    await env.DB.prepare("UPDATE ingest_files SET status = 'queued', lease_token = NULL, lease_expires_at = NULL WHERE id = ?").bind(live!.id).run();
    await held.release();
    const ledgerAfter = await waitForFilesSettled(3);
    expect(ledgerAfter.map((f) => f.status)).toEqual(["done", "done", "done"]);
  });

  it("sends at most 100 messages per sendBatch call", async () => {
    const keys = Array.from({ length: 205 }, (_, i) => `daily/many/${String(i).padStart(3, "0")}.json`);
    for (const key of keys) await putObject(key, "[]");
    const batches: number[] = [];
    const queue = holdingQueue();
    const counting = {
      sendBatch: async (messages: Parameters<typeof queue.sendBatch>[0]) => {
        batches.push(messages.length);
        await queue.sendBatch(messages);
      },
    };

    const result = await runScan("cron", realDeps({ ingestQueue: counting }));

    expect(result).toMatchObject({ objectsListed: 205, newFiles: 205, filesEnqueued: 205 });
    expect(batches).toEqual([100, 100, 5]);
    expect(new Set(queue.held.map((m) => m.key)).size).toBe(205);
    // Never released: these files stay queued without a message, nothing is left in the queue.
    expect((await files()).every((f) => f.status === "queued" && f.sent_at !== null)).toBe(true);
  });

  it("re-uploading a file with identical content (same ETag) does not enqueue it again", async () => {
    await putObject(FIVE_FILES[0]!, dataFile(0));
    await runCron();
    const [before] = await waitForFilesSettled(1);

    await putObject(FIVE_FILES[0]!, dataFile(0));
    await runCron();

    expect(await files()).toEqual([before]);
    expect((await runs())[1]).toMatchObject({ status: "succeeded", files_enqueued: 0 });
  });

  it("two concurrent cron scans enqueue each file version exactly once", async () => {
    await putDataFiles(FIVE_FILES);
    await Promise.all([runCron(), runCron()]);

    const settled = await waitForFilesSettled(5);
    const scanRuns = await runs();
    expect(scanRuns).toHaveLength(2);
    expect(scanRuns.every((r) => r.status === "succeeded" && r.objects_listed === 5)).toBe(true);
    expect(scanRuns.reduce((sum, r) => sum + r.files_enqueued, 0)).toBe(5);
    expect(settled.map((f) => f.key).sort()).toEqual(FIVE_FILES);
    for (const file of settled) expect(file).toMatchObject({ status: "done", attempts: 1, records_upserted: 2 });
    expect((await gamesSnapshot()).length).toBe(10);
  });

  it("concurrent runScan calls send every file once between them, new files and unsent ones alike", async () => {
    await putDataFiles(FIVE_FILES.slice(0, 3));
    // A first scan whose send fails leaves three recorded but unsent files behind…
    await expect(runScan("cron", realDeps({ ingestQueue: recordingQueue({ failFirst: 1 }) }))).rejects.toBeInstanceOf(ScanFailedError);
    expect((await files()).map((f) => [f.status, f.sent_at])).toEqual([
      ["queued", null],
      ["queued", null],
      ["queued", null],
    ]);
    // …and two more files arrive before the next scans, which run three at once.
    await putObject(FIVE_FILES[3]!, dataFile(30));
    await putObject(FIVE_FILES[4]!, dataFile(40));
    const queues = [recordingQueue(), recordingQueue(), recordingQueue()];
    const results = await Promise.all(queues.map((q) => runScan("manual", realDeps({ ingestQueue: q }))));

    const sentIds = queues.flatMap((q) => q.sent.map((m) => m.fileId)).sort((a, b) => a - b);
    const settled = await waitForFilesSettled(5);
    expect(sentIds).toEqual(settled.map((f) => f.id));
    expect(results.reduce((sum, r) => sum + r.filesEnqueued, 0)).toBe(5);
    expect(results.reduce((sum, r) => sum + r.newFiles, 0)).toBe(2);
    for (const file of settled) expect(file).toMatchObject({ status: "done", attempts: 1 });
  });

  it("scans that run while another scan is still sending do not send its files again", async () => {
    await putDataFiles(FIVE_FILES.slice(0, 3));
    // Scan A stops inside sendBatch (after claiming) until scans B and C have finished.
    const real = recordingQueue();
    let entered!: () => void;
    const inSend = new Promise<void>((resolve) => (entered = resolve));
    let proceed!: () => void;
    const released = new Promise<void>((resolve) => (proceed = resolve));
    const slow = {
      sendBatch: async (messages: Parameters<typeof real.sendBatch>[0]) => {
        entered();
        await released;
        await real.sendBatch(messages);
      },
    };
    const scanA = runScan("cron", realDeps({ ingestQueue: slow }));
    await inSend;

    const others = [recordingQueue(), recordingQueue()];
    const results = await Promise.all(others.map((q) => runScan("manual", realDeps({ ingestQueue: q }))));
    expect(results.map((r) => r.filesEnqueued)).toEqual([0, 0]);
    expect(others.map((q) => q.calls)).toEqual([0, 0]);

    proceed();
    expect((await scanA).filesEnqueued).toBe(3);
    const settled = await waitForFilesSettled(3);
    expect(real.sent.map((m) => m.fileId)).toEqual(settled.map((f) => f.id));
    for (const file of settled) expect(file).toMatchObject({ status: "done", attempts: 1 });
  });

  it("a changed file (same key, new content and ETag) is re-ingested and its changes are applied", async () => {
    const key = FIVE_FILES[0]!;
    await putObject(key, JSON.stringify([iosRecord(1), iosRecord(2), iosRecord(3)]));
    await runCron();
    const [v1] = await waitForFilesSettled(1);
    const before = await gamesSnapshot();

    const v2 = [iosRecord(1), iosRecord(2, { name: "Renamed", version: "2.0", rank: 9 }), iosRecord(3), iosRecord(4)];
    await putObject(key, JSON.stringify(v2));
    await runCron();
    const settled = await waitForFilesSettled(2);

    expect(settled[1]).toMatchObject({ key, status: "done", records_upserted: 4, games_written: 2 });
    expect(settled[1]!.etag).not.toBe(v1!.etag);
    expect(settled[0]).toEqual(v1);
    const after = await gamesSnapshot();
    const byStoreId = (rows: typeof after) => Object.fromEntries(rows.map((g) => [g.store_id, g]));
    const [old, now] = [byStoreId(before), byStoreId(after)];
    expect(Object.keys(now).sort()).toEqual(["100001", "100002", "100003", "100004"]);
    expect(now["100002"]).toMatchObject({ id: old["100002"]!.id, name: "Renamed", app_version: "2.0", rank: 9, created_at: old["100002"]!.created_at });
    expect(now["100002"]!.updated_at > old["100002"]!.updated_at).toBe(true);
    expect(now["100004"]).toMatchObject({ name: "Game 4", rank: 5 });
    // Unchanged games keep their content and updated_at; only their provenance moves to v2.
    const contents = (rows: typeof after) => Object.fromEntries(gameContents(rows).map((g) => [g.store_id, g]));
    expect(contents(after)["100001"]).toEqual(contents(before)["100001"]);
    expect(contents(after)["100003"]).toEqual(contents(before)["100003"]);
    expect(now["100001"]!.source_file_id).toBe(settled[1]!.id);
  });

  it("follows the listing over several pages and ignores keys that are not data files", async () => {
    await putDataFiles(FIVE_FILES);
    await putObject("daily/README.txt", "read me", "text/plain");
    await putObject("daily/", "", "application/x-directory");
    await putObject("daily/2021-12-09/notes.csv", "a,b", "text/csv");
    await putObject("daily/2021-12-09/ios.json.bak", dataFile(90));
    await putObject("elsewhere/outside-the-prefix.json", dataFile(80));
    await runCron();

    const settled = await waitForFilesSettled(5);
    expect(settled.map((f) => f.key).sort()).toEqual(FIVE_FILES);
    expect(settled.every((f) => f.status === "done")).toBe(true);
    expect((await runs())[0]).toMatchObject({ status: "succeeded", objects_listed: 9, files_enqueued: 5 });

    // Page size 2: 9 objects take 5 pages, each after the first asks for the next token.
    const listings = (await s3Requests()).filter((r) => r.op === "list");
    expect(listings).toHaveLength(5);
    expect(listings.every((r) => r.query.prefix === "daily/" && r.query["max-keys"] === "2")).toBe(true);
    expect(listings[0]!.query["continuation-token"]).toBeUndefined();
    const tokens = listings.slice(1).map((r) => r.query["continuation-token"]);
    expect(tokens.every((t) => typeof t === "string" && t.length > 0)).toBe(true);
    expect(new Set(tokens).size).toBe(4);
    expect((await gamesSnapshot()).length).toBe(10);
  });

  it("a file whose send failed is sent again by a later scan", async () => {
    await putDataFiles(FIVE_FILES.slice(0, 2));
    const refusing = recordingQueue({ failFirst: 1 });
    const failure = await runScan("cron", realDeps({ ingestQueue: refusing })).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ScanFailedError);
    expect(refusing.sent).toEqual([]);
    expect((await runs())[0]).toMatchObject({ status: "failed", files_enqueued: 0, objects_listed: 2 });
    expect((await runs())[0]!.error).toContain("queue refused the batch");
    const stranded = await env.DB.prepare("SELECT status, sent_at, send_claim FROM ingest_files ORDER BY id").all();
    expect(stranded.results).toEqual([
      { status: "queued", sent_at: null, send_claim: null },
      { status: "queued", sent_at: null, send_claim: null },
    ]);
    await waitFor(async () => (await alerts()).find((a) => a.text.includes("Ingestion scan failed")), { what: "scan alert" });

    await runCron();
    const settled = await waitForFilesSettled(2);
    expect((await runs())[1]).toMatchObject({ status: "succeeded", files_enqueued: 2 });
    for (const file of settled) expect(file).toMatchObject({ status: "done", attempts: 1, run_id: (await runs())[1]!.id });
  });

  it("a send claim left by a crashed scan expires, a live one is respected", async () => {
    await putDataFiles(FIVE_FILES.slice(0, 2));
    await runScan("cron", realDeps({ ingestQueue: recordingQueue({ failFirst: 1 }) })).catch(() => undefined);
    const [crashed, live] = await files();
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    await env.DB.batch([
      env.DB.prepare("UPDATE ingest_files SET send_claim = 'crashed-scan', send_claimed_at = ? WHERE id = ?").bind(minutesAgo(10), crashed!.id),
      env.DB.prepare("UPDATE ingest_files SET send_claim = 'live-scan', send_claimed_at = ? WHERE id = ?").bind(minutesAgo(0), live!.id),
    ]);

    const queue = recordingQueue();
    const result = await runScan("cron", realDeps({ ingestQueue: queue }));

    expect(result.filesEnqueued).toBe(1);
    expect(queue.sent.map((m) => m.fileId)).toEqual([crashed!.id]);
    const done = await waitFor(async () => ((await fileByKey(crashed!.key))?.status === "done" ? fileByKey(crashed!.key) : undefined), { what: "recovered file" });
    expect(done).toMatchObject({ attempts: 1 });
    expect(await env.DB.prepare("SELECT status, sent_at, send_claim FROM ingest_files WHERE id = ?").bind(live!.id).first()).toEqual({
      status: "queued",
      sent_at: null,
      send_claim: "live-scan",
    });
  });

  it("lists the whole prefix every run: a file older than the last scan, uploaded late, is still found", async () => {
    await putObject("daily/2021-12-10/ios.json", dataFile(0));
    // The previous scan ran "tomorrow": anything uploaded now has an older LastModified than it.
    const tomorrow = new Date(Date.now() + 24 * 3_600_000);
    await runScan("cron", realDeps({ now: () => tomorrow }));
    await waitForFilesSettled(1);

    // A late upload into an earlier day's folder: its key sorts before every known key too.
    await putObject("daily/2021-12-09/late.json", dataFile(50));
    await runCron();
    const settled = await waitForFilesSettled(2);

    const late = settled.find((f) => f.key === "daily/2021-12-09/late.json");
    expect(late).toMatchObject({ status: "done", records_upserted: 2 });
    const lastModified = (await env.DB.prepare("SELECT last_modified FROM ingest_files WHERE id = ?").bind(late!.id).first<{ last_modified: string }>())!;
    expect(Date.parse(lastModified.last_modified)).toBeLessThan(Date.parse((await runs())[0]!.started_at));
    expect((await runs())[1]).toMatchObject({ objects_listed: 2, files_enqueued: 1 });
    expect((await gamesSnapshot()).length).toBe(4);
  });
});
