import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { commitFile, stageGames, stagingJson } from "../../../src/core/data/staging";
import { processIngestMessage } from "../../../src/core/ingest/consumer";
import { createLedger } from "../../../src/core/data/ledger";
import type { IngestMessage } from "../../../src/core/domain/ingest";
import { runScan } from "../../../src/core/ingest/scanner";
import { DATA_VERSION_KEY } from "../../../src/core/data/data-version";
import ios from "../../fixtures/ios.top100.json";
import { alerts, alertsMentioning, deleteObject, fileRow, type FileRow, files, gameContents, type GameSnapshotRow, gamesSnapshot, putObject, resetIngestState, runCron, s3Requests, setFaults, stagingCount, waitForDataVersionWritten, waitForFilesSettled } from "../../helpers/ingest";
import { androidRecord, deliverToWorker, gzip, holdingQueue, iosRecord, ndjson, realDeps } from "../../helpers/ingest-pipeline";
import { waitFor } from "../../support/wait";

const IOS_KEY = "daily/2021-12-09/ios.top100.json";

/** Uploads the files and scans them into the ledger; their messages are held, not queued. */
async function scanHeld(objects: Record<string, BodyInit>, deps = realDeps()): Promise<IngestMessage[]> {
  for (const [key, body] of Object.entries(objects)) await putObject(key, body);
  const queue = holdingQueue();
  await runScan("manual", { ...deps, ingestQueue: queue });
  return queue.held;
}

/** Games without the ids a reset renumbers (their own, their source file's): comparable across resets. */
const withoutIds = (rows: GameSnapshotRow[]) => rows.map(({ id: _id, source_file_id: _file, ...rest }) => rest);

/** The ledger row minus the columns a reset renumbers (ids, the send's random id) and the upload time. */
async function ledgerState(id: number) {
  const { id: _id, run_id: _run, last_modified: _uploaded, delivery_id: _delivery, ...rest } = await fileRow(id);
  return rest;
}

const getRequests = async () => (await s3Requests()).filter((r) => r.op === "get");
const dataVersion = () => env.CACHE.get(DATA_VERSION_KEY);
const gamesSequence = async () =>
  (await env.DB.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'games'").first<{ seq: number }>())?.seq ?? null;

describe("consumer: redelivery and idempotence", () => {
  beforeEach(resetIngestState);

  it("the same message delivered 5 times one after another leaves the state of the first delivery", async () => {
    const [message] = await scanHeld({ [IOS_KEY]: JSON.stringify(ios) });
    const first = await deliverToWorker(message!);
    expect(first.explicitAcks).toHaveLength(1);
    const afterOne = { games: await gamesSnapshot(), file: await fileRow(message!.fileId), version: await dataVersion() };
    expect(afterOne.file).toMatchObject({ status: "done", attempts: 1 });
    expect(afterOne.games.length).toBeGreaterThan(250);

    for (let delivery = 2; delivery <= 5; delivery++) {
      const result = await deliverToWorker(message!, delivery);
      expect(result.explicitAcks).toHaveLength(1);
      expect(result.retryMessages).toEqual([]);
    }

    expect({ games: await gamesSnapshot(), file: await fileRow(message!.fileId), version: await dataVersion() }).toEqual(afterOne);
    // Finished files are acknowledged without being downloaded again.
    expect(await getRequests()).toHaveLength(1);
    expect(await stagingCount()).toBe(0);
  });

  it("the same message delivered 5 times concurrently ends exactly like a single delivery", async () => {
    // A fixed clock makes every timestamp reproducible, so the two runs must match to the byte.
    const clock = new Date("2026-01-02T03:04:05.000Z");
    const deps = realDeps({ now: () => clock });

    const [single] = await scanHeld({ [IOS_KEY]: JSON.stringify(ios) }, deps);
    expect(await processIngestMessage(single!, 1, deps)).toEqual({ action: "ack" });
    const reference = { games: withoutIds(await gamesSnapshot()), file: await ledgerState(single!.fileId) };

    await resetIngestState();
    const [message] = await scanHeld({ [IOS_KEY]: JSON.stringify(ios) }, deps);
    const decisions = await Promise.all(Array.from({ length: 5 }, (_, i) => processIngestMessage(message!, i + 1, deps)));

    // One delivery did the work; the others were told to come back later.
    expect(decisions.filter((d) => d.action === "ack")).toHaveLength(1);
    expect(decisions.filter((d) => d.action === "retry")).toHaveLength(4);
    expect(await getRequests()).toHaveLength(1);
    // Their retries find the file finished and are acknowledged.
    for (let i = 0; i < 4; i++) expect(await processIngestMessage(message!, 2, deps)).toEqual({ action: "ack" });

    expect({ games: withoutIds(await gamesSnapshot()), file: await ledgerState(message!.fileId) }).toEqual(reference);
    expect(reference.file).toMatchObject({ status: "done", attempts: 1 });
    expect(await stagingCount()).toBe(0);
  });

  it("5 concurrent deliveries through the Worker's queue handler write the file once", async () => {
    const [message] = await scanHeld({ [IOS_KEY]: JSON.stringify(ios) });
    const results = await Promise.all(Array.from({ length: 5 }, () => deliverToWorker(message!)));
    const acked = results.filter((r) => r.explicitAcks.length === 1);
    const retried = results.filter((r) => r.retryMessages.length === 1);
    expect(acked.length + retried.length).toBe(5);
    expect(acked.length).toBeGreaterThanOrEqual(1);
    const afterConcurrent = { games: await gamesSnapshot(), file: await fileRow(message!.fileId) };
    expect(afterConcurrent.file).toMatchObject({ status: "done", attempts: 1 });

    // The retried ones come back later: acknowledged, nothing changes.
    for (const _ of retried) expect((await deliverToWorker(message!, 2)).explicitAcks).toHaveLength(1);
    expect({ games: await gamesSnapshot(), file: await fileRow(message!.fileId) }).toEqual(afterConcurrent);
    expect(await getRequests()).toHaveLength(1);
  });

  it("redelivery of a failed file acknowledges without downloading or writing", async () => {
    const [message] = await scanHeld({ [IOS_KEY]: "this is not JSON" });
    expect(await processIngestMessage(message!, 1, realDeps())).toEqual({ action: "ack" });
    const failed = await fileRow(message!.fileId);
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });

    expect((await deliverToWorker(message!, 2)).explicitAcks).toHaveLength(1);
    expect(await fileRow(message!.fileId)).toEqual(failed);
    expect(await getRequests()).toHaveLength(1);
    expect(await gamesSnapshot()).toEqual([]);
  });

  it("a message for a file version the ledger does not know is dropped", async () => {
    const [message] = await scanHeld({ [IOS_KEY]: JSON.stringify([iosRecord(1)]) });
    const stale = { ...message!, etag: '"0123456789abcdef0123456789abcdef"' };
    expect((await deliverToWorker(stale)).explicitAcks).toHaveLength(1);
    expect(await fileRow(message!.fileId)).toMatchObject({ status: "queued", attempts: 0 });
    expect((await deliverToWorker({ ...message!, fileId: message!.fileId + 1000 })).explicitAcks).toHaveLength(1);
    expect(await getRequests()).toHaveLength(0);
    expect(await gamesSnapshot()).toEqual([]);
  });

  it("a delivery that lost its lease commits nothing; the delivery that took over applies the file once", async () => {
    const [message] = await scanHeld({ [IOS_KEY]: JSON.stringify([iosRecord(1), iosRecord(2)]) });
    const deps = realDeps();
    const ledger = createLedger(deps.db);
    // A first delivery claims the file, stages a wrong game, and stalls past its lease.
    const past = new Date(Date.now() - 60_000);
    const stalled = await ledger.claimFile(message!.fileId, message!.etag, "stalled-lease", past, past);
    expect(stalled).toBeDefined();
    const stale = { platform: "ios", storeId: "999", name: "Stale", bundleId: null, publisherId: null, publisherName: null, appVersion: null, iconUrl: null, rank: 1 } as const;
    await stageGames(deps.db, "stalled-lease", message!.fileId, `[${stagingJson(stale)}]`);

    // A redelivery takes over the expired lease and finishes the file.
    expect(await processIngestMessage(message!, 2, deps)).toEqual({ action: "ack" });
    const done = await fileRow(message!.fileId);
    expect(done).toMatchObject({ status: "done", attempts: 2, records_upserted: 2 });
    const games = await gamesSnapshot();
    expect(games.map((g) => g.store_id)).toEqual(["100001", "100002"]);

    // The stalled delivery wakes up and tries to commit: nothing happens.
    const outcome = { recordsSeen: 1, recordsRejected: 0, rejectionSamples: [] };
    expect(await commitFile(deps.db, "stalled-lease", stalled!, outcome, new Date())).toBeUndefined();
    expect(await gamesSnapshot()).toEqual(games);
    expect(await fileRow(message!.fileId)).toEqual(done);
    expect(await stagingCount()).toBe(0);
  });
});

describe("consumer: what a file does to games", () => {
  beforeEach(resetIngestState);

  it("re-ingesting an identical file under a newer key changes no game and draws no id: it only re-dates the games", async () => {
    await putObject(IOS_KEY, JSON.stringify(ios));
    await runCron();
    const [first] = await waitForFilesSettled(1);
    expect(first!.games_written).toBeGreaterThan(250);
    await waitForDataVersionWritten();
    const before = await gamesSnapshot();
    const versionBefore = await dataVersion();
    expect(versionBefore).not.toBeNull();
    const sequenceBefore = await gamesSequence();

    await putObject("daily/2021-12-10/ios.top100.json", JSON.stringify(ios));
    await runCron();
    const [, copy] = await waitForFilesSettled(2);

    expect(copy).toMatchObject({ status: "done", games_written: 0, records_upserted: first!.records_upserted, records_seen: first!.records_seen });
    const after = await gamesSnapshot();
    expect(gameContents(after)).toEqual(gameContents(before));
    // The newer file is now what the games are known to be current as of (data/staging.ts).
    expect(new Set(after.map((g) => g.source_file_id))).toEqual(new Set([copy!.id]));
    // Not even an AUTOINCREMENT id is drawn: the merge statement writes no row at all.
    expect(await gamesSequence()).toBe(sequenceBefore);
    // Nothing changed, so cached reads stay valid: no bump is pending, none was written.
    await waitForDataVersionWritten();
    expect(await dataVersion()).toBe(versionBefore);
  });

  it("an older file ingested late adds the games only it has, but never rolls newer data back", async () => {
    await putObject("daily/2021-12-10/ios.json", JSON.stringify([iosRecord(1, { name: "Newer 1", rank: 1 }), iosRecord(2, { name: "Newer 2", rank: 2 })]));
    await runCron();
    await waitForFilesSettled(1);

    // Yesterday's file arrives late (a backfill, or a replayed dead file).
    await putObject("daily/2021-12-09/ios.json", JSON.stringify([iosRecord(1, { name: "Older 1", rank: 50 }), iosRecord(3, { name: "Older 3", rank: 3 })]));
    await runCron();
    const [, late] = await waitForFilesSettled(2);
    expect(late).toMatchObject({ status: "done", records_upserted: 2, games_written: 1 });
    const byName = (rows: GameSnapshotRow[]) => rows.map((g) => [g.store_id, g.name, g.rank]);
    expect(byName(await gamesSnapshot())).toEqual([
      ["100001", "Newer 1", 1],
      ["100002", "Newer 2", 2],
      ["100003", "Older 3", 3],
    ]);

    // A newer file still applies on top.
    await putObject("daily/2021-12-11/ios.json", JSON.stringify([iosRecord(1, { name: "Newest 1", rank: 7 })]));
    await runCron();
    const [, , newest] = await waitForFilesSettled(3);
    expect(newest).toMatchObject({ status: "done", games_written: 1 });
    expect(byName(await gamesSnapshot())[0]).toEqual(["100001", "Newest 1", 7]);
  });

  it("a file deleted between scan and consume fails for good and raises an alert", async () => {
    const queue = holdingQueue();
    await putObject(IOS_KEY, JSON.stringify(ios));
    await runScan("cron", realDeps({ ingestQueue: queue }));
    await deleteObject(IOS_KEY);
    await queue.release();

    const [file] = await waitForFilesSettled(1);
    expect(file).toMatchObject({ status: "failed", attempts: 1 });
    expect(file!.last_error).toContain("s3-404");
    const alert = await waitFor(async () => (await alerts()).find((a) => a.text.includes("Ingestion failed")), { what: "failure alert" });
    expect(alert.text).toContain(IOS_KEY);
    // 404 is permanent: downloaded once, not retried.
    expect(await getRequests()).toHaveLength(1);
    expect(await gamesSnapshot()).toEqual([]);
  });

  it("a file replaced between scan and consume is not mixed up: that version is superseded (no alert), the next scan ingests the new one", async () => {
    const queue = holdingQueue();
    await putObject(IOS_KEY, JSON.stringify([iosRecord(1, { name: "Old" })]));
    await runScan("cron", realDeps({ ingestQueue: queue }));
    await putObject(IOS_KEY, JSON.stringify([iosRecord(1, { name: "New" })]));
    await queue.release();

    const [old] = await waitForFilesSettled(1);
    expect(old).toMatchObject({ status: "superseded", attempts: 1 });
    expect(old!.last_error).toMatch(/^superseded: .*changed since it was listed/);
    expect(await gamesSnapshot()).toEqual([]);
    expect(await alertsMentioning(IOS_KEY)).toEqual([]);

    await runCron();
    const [, current] = await waitForFilesSettled(2);
    expect(current).toMatchObject({ key: IOS_KEY, status: "done", records_upserted: 1 });
    expect(current!.etag).not.toBe(old!.etag);
    expect((await gamesSnapshot()).map((g) => g.name)).toEqual(["New"]);
  });

  it("rejects invalid records with counts and sampled reasons, and ingests the rest", async () => {
    const first = [
      iosRecord(1), //                                  0 valid
      { os: "ios", app_id: 100_002 }, //                 1 missing name
      iosRecord(3, { os: "windows" }), //                2 unknown os
      iosRecord(4, { name: 123 }), //                    3 name of the wrong type
      iosRecord(5, { app_id: {} }), //                   4 app_id of the wrong type
      iosRecord(6, { name: "x".repeat(100_000) }), //    5 huge string
      androidRecord(7), //                               6 valid
      iosRecord(8, { app_id: "12ab34" }), //             7 iOS id with letters (not sampled: 6th rejection)
    ];
    const second = [
      42, //                                             0 not an object
      null, //                                           1 not an object
      ["nested"], //                                     2 not an object
      androidRecord(3, { app_id: "not a package" }), //  3 invalid Play id
      iosRecord(4, { name: "   " }), //                  4 blank name
      iosRecord(5), //                                   5 valid
      iosRecord(6, { publisher_name: "p".repeat(5_000) }), // 6 huge optional string
      androidRecord(7, { rank: "first" }), //            7 rank of the wrong type
      androidRecord(8), //                               8 valid
    ];
    await putObject("daily/x/first.json", JSON.stringify(first));
    await putObject("daily/x/second.json", JSON.stringify(second));
    await runCron();
    const settled = await waitForFilesSettled(2);
    const [a, b] = ["daily/x/first.json", "daily/x/second.json"].map((k) => settled.find((f) => f.key === k)!) as [FileRow, FileRow];

    expect(a).toMatchObject({ status: "done", records_seen: 8, records_rejected: 6, records_upserted: 2, games_written: 2 });
    const samplesA = JSON.parse(a.rejection_samples!) as { index: number; reason: string }[];
    expect(samplesA.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
    expect(samplesA[0]!.reason).toMatch(/name/);
    expect(samplesA[1]!.reason).toMatch(/os/);
    expect(samplesA[2]!.reason).toMatch(/name/);
    expect(samplesA[3]!.reason).toMatch(/app_id/);
    expect(samplesA[4]!.reason).toMatch(/name.*longer than 200/);
    expect(samplesA.every((s) => s.reason.length < 500)).toBe(true);

    expect(b).toMatchObject({ status: "done", records_seen: 9, records_rejected: 7, records_upserted: 2 });
    const samplesB = JSON.parse(b.rejection_samples!) as { index: number; reason: string }[];
    expect(samplesB.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    expect(samplesB.slice(0, 3).every((s) => /not a JSON object/.test(s.reason))).toBe(true);
    expect(samplesB[3]!.reason).toMatch(/app_id/);
    expect(samplesB[4]!.reason).toMatch(/name/);

    const stored = (await gamesSnapshot()).map((g) => `${g.platform}:${g.store_id}`);
    expect(stored.sort()).toEqual(["android:com.t.a7", "android:com.t.a8", "ios:100001", "ios:100005"].sort());
    // Some records were valid: no "no valid records" alert.
    expect((await alerts()).filter((x) => x.text.includes("no valid records"))).toEqual([]);
  });

  it("accepts flat JSON, NDJSON, gzip and empty files", async () => {
    const ndjsonText = ndjson([iosRecord(20), androidRecord(21)]).replace("\n", '\n{"os": "ios", broken line\n') + "\n\n";
    await putObject("daily/f/flat.json", JSON.stringify([iosRecord(10), androidRecord(11)]));
    await putObject("daily/f/lines.ndjson", ndjsonText, "application/x-ndjson");
    await putObject("daily/f/packed.json.gz", await gzip(JSON.stringify([[iosRecord(30)], [androidRecord(31), iosRecord(32)]])), "application/gzip");
    await putObject("daily/f/lines.ndjson.gz", await gzip(ndjson([androidRecord(40)])), "application/gzip");
    await putObject("daily/f/empty-array.json", "[]");
    await putObject("daily/f/empty-groups.json", " [ [], [] ] ");
    await putObject("daily/f/empty.json", "");
    await putObject("daily/f/blank.ndjson", "\n  \n");
    // Windows tools: a byte-order mark, CRLF line ends.
    await putObject("daily/f/bom.json", `\uFEFF${JSON.stringify([androidRecord(50)])}`);
    await putObject("daily/f/crlf.ndjson", `\uFEFF${ndjson([iosRecord(60), iosRecord(61)]).replaceAll("\n", "\r\n")}`);
    await runCron();
    const byKey = Object.fromEntries((await waitForFilesSettled(10)).map((f) => [f.key.slice("daily/f/".length), f]));

    expect(byKey["flat.json"]).toMatchObject({ status: "done", records_seen: 2, records_rejected: 0, records_upserted: 2 });
    expect(byKey["lines.ndjson"]).toMatchObject({ status: "done", records_seen: 3, records_rejected: 1, records_upserted: 2 });
    expect(JSON.parse(byKey["lines.ndjson"]!.rejection_samples!)).toEqual([{ index: 1, reason: expect.stringMatching(/not valid JSON/) }]);
    expect(byKey["packed.json.gz"]).toMatchObject({ status: "done", records_seen: 3, records_upserted: 3 });
    expect(byKey["lines.ndjson.gz"]).toMatchObject({ status: "done", records_seen: 1, records_upserted: 1 });
    expect(byKey["bom.json"]).toMatchObject({ status: "done", records_seen: 1, records_upserted: 1 });
    expect(byKey["crlf.ndjson"]).toMatchObject({ status: "done", records_seen: 2, records_rejected: 0, records_upserted: 2 });
    for (const empty of ["empty-array.json", "empty-groups.json", "empty.json", "blank.ndjson"]) {
      expect(byKey[empty], empty).toMatchObject({ status: "done", records_seen: 0, records_rejected: 0, records_upserted: 0, games_written: 0, last_error: null });
    }

    const stored = (await gamesSnapshot()).map((g) => `${g.platform}:${g.store_id}:${g.rank}`);
    expect(stored.sort()).toEqual(
      [
        "ios:100010:11",
        "android:com.t.a11:12",
        "ios:100020:21",
        "android:com.t.a21:22",
        "ios:100030:31",
        "android:com.t.a31:32",
        "ios:100032:33",
        "android:com.t.a40:41",
        "android:com.t.a50:51",
        "ios:100060:61",
        "ios:100061:62",
      ].sort(),
    );
    expect(await alerts()).toEqual([]);
  });

  it("an app listed several times in a file becomes one game with its best rank", async () => {
    const flat = [
      iosRecord(1, { rank: 7, name: "First name" }),
      iosRecord(2),
      iosRecord(1, { rank: 3, name: "Second name" }),
      iosRecord(1, { rank: 5, name: "Last name" }),
    ];
    // Grouped layout without ranks: the group is the chart position.
    const grouped = [[androidRecord(9, { rank: undefined })], [androidRecord(8, { rank: undefined })], [androidRecord(9, { rank: undefined })]];
    await putObject("daily/d/flat.json", JSON.stringify(flat));
    await putObject("daily/d/grouped.json", JSON.stringify(grouped));
    await runCron();
    const settled = await waitForFilesSettled(2);

    expect(settled.find((f) => f.key === "daily/d/flat.json")).toMatchObject({ records_seen: 4, records_upserted: 2, games_written: 2 });
    expect(settled.find((f) => f.key === "daily/d/grouped.json")).toMatchObject({ records_seen: 3, records_upserted: 2 });
    const games = Object.fromEntries((await gamesSnapshot()).map((g) => [g.store_id, g]));
    expect(Object.keys(games).sort()).toEqual(["100001", "100002", "com.t.a8", "com.t.a9"]);
    expect(games["100001"]).toMatchObject({ rank: 3, name: "Last name" });
    expect(games["com.t.a9"]).toMatchObject({ rank: 1 });
    expect(games["com.t.a8"]).toMatchObject({ rank: 2 });
  });
});

describe("consumer: a file is applied all or nothing", () => {
  beforeEach(resetIngestState);

  /** A baseline already ingested, then a big v2 touching the same games and many new ones. */
  async function baselineThenBigUpdate(): Promise<{ before: GameSnapshotRow[]; big: unknown[] }> {
    await putObject("daily/a/base.json", JSON.stringify(Array.from({ length: 20 }, (_, i) => iosRecord(i))));
    await runCron();
    await waitForFilesSettled(1);
    const before = await gamesSnapshot();
    expect(before).toHaveLength(20);
    // 3000 records: several staging statements (500 games each) run before the midpoint.
    const big = Array.from({ length: 3000 }, (_, i) => iosRecord(i, { name: `New ${i}`, rank: 1 }));
    return { before, big };
  }

  it("a download garbled in its second half leaves games exactly as before", async () => {
    const { before, big } = await baselineThenBigUpdate();
    await putObject("daily/a/big.json", JSON.stringify(big));
    await setFaults([{ op: "get", key: "big.json", action: { kind: "garble" } }]);
    await runCron();
    const [, file] = await waitForFilesSettled(2);

    expect((await s3Requests()).filter((r) => r.fault === "garble")).toHaveLength(1);
    expect(file).toMatchObject({ key: "daily/a/big.json", status: "failed", attempts: 1 });
    expect(file!.last_error).toContain("malformed-json");
    expect(await gamesSnapshot()).toEqual(before);
    expect(await stagingCount()).toBe(0);
    await waitFor(async () => (await alerts()).find((a) => a.text.includes("daily/a/big.json")), { what: "failure alert" });
  });

  it("a file whose tail is not JSON leaves games exactly as before", async () => {
    const { before, big } = await baselineThenBigUpdate();
    const text = JSON.stringify(big);
    await putObject("daily/a/big.json", `${text.slice(0, -1)}, {"os": "ios", "name": "cut here`);
    await runCron();
    const [, file] = await waitForFilesSettled(2);

    expect(file).toMatchObject({ status: "failed", attempts: 1 });
    expect(file!.last_error).toContain("malformed-json");
    expect(await gamesSnapshot()).toEqual(before);
    expect(await stagingCount()).toBe(0);
    expect(await files()).toHaveLength(2);
  });
});

describe("consumer: the data version and D1 read replication", () => {
  beforeEach(resetIngestState);

  it("the data version an ingestion commit bumps carries the commit's bookmark", async () => {
    const [message] = await scanHeld({ [IOS_KEY]: JSON.stringify(ios) });
    const bookmarkNow = async () => {
      const session = env.DB.withSession("first-primary");
      await session.prepare("SELECT 1").all();
      return session.getBookmark()!;
    };
    const before = await bookmarkNow();
    const result = await deliverToWorker(message!);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await fileRow(message!.fileId)).toMatchObject({ status: "done" });
    const after = await bookmarkNow();

    // `<id>@<bookmark>`: a cache miss at this version reads at least as fresh as the commit, so a
    // replica that has not replayed the ingestion cannot answer it (src/core/data/data-version.ts).
    const version = JSON.parse((await dataVersion())!) as string;
    const [, bookmark] = version.split("@");
    expect(bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    expect(bookmark! > before).toBe(true);
    expect(bookmark! < after).toBe(true);
  });
});
