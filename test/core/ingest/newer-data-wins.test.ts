// Newer data wins, whatever the key looks like: files are ordered by their timestamp (a date in
// the key, refined by LastModified; else LastModified), never by key text. End to end through
// the real cron → queue → consumer against s3rver, whose LastModified is the upload time.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { processIngestMessage } from "../../../src/core/ingest/consumer";
import type { IngestMessage } from "../../../src/core/domain/ingest";
import { runScan } from "../../../src/core/ingest/scanner";
import { callJson } from "../../helpers/api";
import { type FileRow, files, gamesSnapshot, putObject, resetIngestState, runCron, waitForFilesSettled, waitForStatus } from "../../helpers/ingest";
import { deliverToWorker, holdingQueue, iosRecord, realDeps } from "../../helpers/ingest-pipeline";

const DAY = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Uploads one file, runs the cron and waits until every file in the ledger is finished. */
async function ingest(key: string, records: unknown[]): Promise<FileRow> {
  await putObject(key, JSON.stringify(records));
  const before = (await files()).length;
  await runCron();
  const settled = await waitForFilesSettled(before + 1);
  return settled.filter((f) => f.key === key).at(-1)!;
}

/** The LastModified S3 listed for a ledger row (the upload time). */
async function uploadedAt(fileId: number): Promise<number> {
  const row = await env.DB.prepare("SELECT last_modified FROM ingest_files WHERE id = ?").bind(fileId).first<{ last_modified: string }>();
  return Date.parse(row!.last_modified);
}

/** Uploads and scans a file without queueing it: the test delivers its message. */
async function scanHeld(key: string, records: unknown[]): Promise<IngestMessage> {
  await putObject(key, JSON.stringify(records));
  const queue = holdingQueue();
  await runScan("manual", realDeps({ ingestQueue: queue }));
  const message = queue.held.find((m) => m.key === key);
  if (!message) throw new Error(`the scan did not send ${key}`);
  return message;
}

const names = async () => (await gamesSnapshot()).map((g) => [g.store_id, g.name]);

beforeEach(resetIngestState);

describe("newer data wins, whatever the key looks like", () => {
  it("an undated file, then a dated file uploaded later the same day: the dated file's values win", async () => {
    const fix = await ingest("daily/manual-fix.json", [iosRecord(1, { name: "Fix 1" }), iosRecord(2, { name: "Fix 2" })]);
    expect(fix).toMatchObject({ status: "done", games_written: 2 });

    const daily = await ingest(`daily/${utcDay(await uploadedAt(fix.id))}/ios.json`, [iosRecord(1, { name: "Daily 1" })]);
    expect(daily).toMatchObject({ status: "done", games_written: 1 });
    expect(await names()).toEqual([
      ["100001", "Daily 1"],
      ["100002", "Fix 2"],
    ]);
  });

  it("a backfill of old dated files, under keys that sort after today's, adds what only it has and rolls nothing back", async () => {
    await ingest(`daily/${utcDay(Date.now())}/ios.json`, [iosRecord(1, { name: "Current 1" }), iosRecord(2, { name: "Current 2" })]);
    const month = utcDay(Date.now() - 30 * DAY);

    const folder = await ingest(`daily/backfill/${month}/ios.json`, [iosRecord(1, { name: "Old 1" }), iosRecord(3, { name: "Old 3" })]);
    expect(folder).toMatchObject({ status: "done", records_upserted: 2, games_written: 1 });
    const compact = await ingest(`daily/backfill/ios-${month.replaceAll("-", "")}.json`, [iosRecord(2, { name: "Old 2" }), iosRecord(4, { name: "Old 4" })]);
    expect(compact).toMatchObject({ status: "done", records_upserted: 2, games_written: 1 });

    expect(await names()).toEqual([
      ["100001", "Current 1"],
      ["100002", "Current 2"],
      ["100003", "Old 3"],
      ["100004", "Old 4"],
    ]);
  });

  it("daily/latest.json uploaded after the dated files wins; the next day's dated file wins over it", async () => {
    const now = Date.now();
    await ingest(`daily/${utcDay(now - DAY)}/ios.json`, [iosRecord(1, { name: "Yesterday 1" }), iosRecord(2, { name: "Yesterday 2" })]);
    await ingest(`daily/${utcDay(now)}/ios.json`, [iosRecord(1, { name: "Today 1" })]);

    const latest = await ingest("daily/latest.json", [iosRecord(1, { name: "Latest 1" }), iosRecord(2, { name: "Latest 2" })]);
    expect(latest).toMatchObject({ status: "done", games_written: 2 });
    expect(await names()).toEqual([
      ["100001", "Latest 1"],
      ["100002", "Latest 2"],
    ]);

    const tomorrow = await ingest(`daily/${utcDay((await uploadedAt(latest.id)) + DAY)}/ios.json`, [iosRecord(1, { name: "Tomorrow 1" })]);
    expect(tomorrow).toMatchObject({ status: "done", games_written: 1 });
    expect(await names()).toEqual([
      ["100001", "Tomorrow 1"],
      ["100002", "Latest 2"],
    ]);
  });

  it("a dead undated file replayed after a newer file was ingested rolls nothing back", async () => {
    // latest.json's message dies (its retries exhausted) before it is ever ingested…
    const stale = await scanHeld("daily/latest.json", [iosRecord(1, { name: "Stale 1" }), iosRecord(2, { name: "Stale 2" })]);
    expect((await deliverToWorker(stale, 1, env.INGEST_DLQ_NAME)).explicitAcks).toHaveLength(1);
    await waitForStatus("daily/latest.json", ["dead"]);

    // …a newer file is ingested meanwhile…
    const newer = await ingest(`daily/${utcDay(await uploadedAt(stale.fileId))}/ios.json`, [iosRecord(1, { name: "New 1" })]);
    expect(newer).toMatchObject({ status: "done", games_written: 1 });

    // …then the dead file is replayed: it adds the game only it has and keeps the newer one.
    await callJson(`/api/ingest/files/${stale.fileId}/retry`, 202, { method: "POST" });
    const replayed = await waitForStatus("daily/latest.json", ["done", "failed", "dead"]);
    expect(replayed).toMatchObject({ status: "done", records_upserted: 2, games_written: 1 });
    expect(await names()).toEqual([
      ["100001", "New 1"],
      ["100002", "Stale 2"],
    ]);
  });

  it("equal timestamps: the file version the ledger recorded later wins, whatever order the files are processed in", async () => {
    // Both keys name the same second, long past: both files are from 2021-12-09T03:00:00.999Z.
    const first = await scanHeld("daily/2021-12-09T030000/b.json", [iosRecord(1, { name: "Recorded first" })]);
    const second = await scanHeld("daily/2021-12-09T030000/a.json", [iosRecord(1, { name: "Recorded second" })]);
    expect(second.fileId).toBeGreaterThan(first.fileId);

    const deps = realDeps();
    expect(await processIngestMessage(second, 1, deps)).toEqual({ action: "ack" });
    expect(await processIngestMessage(first, 1, deps)).toEqual({ action: "ack" });
    expect(await names()).toEqual([["100001", "Recorded second"]]);

    await env.DB.prepare("DELETE FROM games").run();
    await env.DB.prepare("UPDATE ingest_files SET status = 'queued', sent_at = NULL").run();
    expect(await processIngestMessage(first, 2, deps)).toEqual({ action: "ack" });
    expect(await processIngestMessage(second, 2, deps)).toEqual({ action: "ack" });
    expect(await names()).toEqual([["100001", "Recorded second"]]);
  });

  it("a newer file that repeats a game's values still dates it: a late file from between them rolls nothing back", async () => {
    const now = Date.now();
    await ingest(`daily/${utcDay(now - 2 * DAY)}/ios.json`, [iosRecord(1, { name: "Same" })]);
    // Two days later the ranking still says the same: no content changes, but the game is now
    // known to be current as of this file.
    const confirm = await ingest(`daily/${utcDay(now)}/ios.json`, [iosRecord(1, { name: "Same" })]);
    expect(confirm).toMatchObject({ status: "done", records_upserted: 1, games_written: 0 });
    const dated = await env.DB.prepare("SELECT source_file_id, updated_at FROM games").first<{ source_file_id: number; updated_at: string }>();
    expect(dated!.source_file_id).toBe(confirm.id);

    // The file from the day in between arrives late, with other values: it is older than what
    // the game is known to be, so it changes nothing.
    const late = await ingest(`daily/${utcDay(now - DAY)}/ios.json`, [iosRecord(1, { name: "In between" })]);
    expect(late).toMatchObject({ status: "done", records_upserted: 1, games_written: 0 });
    expect(await names()).toEqual([["100001", "Same"]]);
    // Dating the game is not a change of its content: updated_at stays.
    expect((await env.DB.prepare("SELECT updated_at FROM games").first<{ updated_at: string }>())!.updated_at).toBe(dated!.updated_at);
  });

  it("the game records which file wrote it and that file's timestamp", async () => {
    const file = await ingest("daily/2021-12-09/ios.json", [iosRecord(1)]);
    const row = await env.DB.prepare("SELECT source_key, source_at, source_file_id FROM games").first();
    // Uploaded years after the day its key names: from the last millisecond of that day.
    expect(row).toEqual({ source_key: "daily/2021-12-09/ios.json", source_at: "2021-12-09T23:59:59.999Z", source_file_id: file.id });
  });
});

describe("the games_source_at migration backfills the provenance of games ingested before it", () => {
  /** The migration's backfill statement, exactly as wrangler applies it. */
  const backfill = () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("_games_source_at"));
    const statement = migration?.queries.find((q) => /^\s*(--.*\n\s*)*UPDATE `games`/.test(q));
    if (!statement) throw new Error("the games_source_at migration has no backfill UPDATE");
    return env.DB.prepare(statement).run();
  };

  it("a game gets its source file's ledger id and LastModified; others stay NULL", async () => {
    await env.DB.batch([
      env.DB.prepare("INSERT INTO ingest_runs (id, trigger, status, started_at) VALUES (1, 'cron', 'succeeded', '2021-12-10T03:00:00Z')"),
      env.DB.prepare(
        `INSERT INTO ingest_files (id, run_id, key, etag, size, last_modified, status, finished_at, created_at, updated_at) VALUES
          (1, 1, 'daily/latest.json', '"a"', 1, '2021-12-09T03:00:00Z', 'done', '2021-12-09T03:05:00Z', '2021-12-09T03:01:00Z', '2021-12-09T03:05:00Z'),
          (2, 1, 'daily/latest.json', '"b"', 1, '2021-12-10T03:00:00.250Z', 'done', '2021-12-10T03:05:00Z', '2021-12-10T03:01:00Z', '2021-12-10T03:05:00Z'),
          (3, 1, 'daily/latest.json', '"c"', 1, '2021-12-11T03:00:00Z', 'failed', '2021-12-11T03:05:00Z', '2021-12-11T03:01:00Z', '2021-12-11T03:05:00Z'),
          (4, 1, 'daily/no-listing-date.json', '"d"', 1, NULL, 'done', '2021-12-10T04:05:00Z', '2021-12-10T04:01:00Z', '2021-12-10T04:05:00Z')`,
      ),
      env.DB.prepare(
        `INSERT INTO games (id, platform, store_id, name, is_published, created_at, updated_at, source_key) VALUES
          (1, 'ios', '1', 'From latest', 1, 'x', 'x', 'daily/latest.json'),
          (2, 'ios', '2', 'From a file without LastModified', 1, 'x', 'x', 'daily/no-listing-date.json'),
          (3, 'ios', '3', 'From the API', 0, 'x', 'x', NULL),
          (4, 'ios', '4', 'From a file the ledger forgot', 1, 'x', 'x', 'daily/gone.json')`,
      ),
    ]);
    await backfill();
    const rows = await env.DB.prepare("SELECT id, source_at, source_file_id FROM games ORDER BY id").all();
    expect(rows.results).toEqual([
      { id: 1, source_at: "2021-12-10T03:00:00.250Z", source_file_id: 2 },
      { id: 2, source_at: "2021-12-10T04:01:00.000Z", source_file_id: 4 },
      { id: 3, source_at: null, source_file_id: null },
      { id: 4, source_at: null, source_file_id: null },
    ]);
  });
});
