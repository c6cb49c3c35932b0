// The ledger sweep (every 10 minutes, ledger-only): staging rows of killed attempts are cleaned
// by it — not only by the same file's next claim — while a live attempt's rows are kept; it
// never calls S3.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { stageGames, stagingJson } from "../../../src/core/data/staging";
import { createLedger } from "../../../src/core/data/ledger";
import type { GameRecord } from "../../../src/core/domain/game";
import { runScan } from "../../../src/core/ingest/scanner";
import { sweepLedger } from "../../../src/core/ingest/sweep";
import { files, putObject, resetIngestState, s3Requests, stagingCount } from "../../helpers/ingest";
import { holdingQueue, iosRecord, realDeps } from "../../helpers/ingest-pipeline";

const game = (i: number): GameRecord => ({
  platform: "ios",
  storeId: String(500_000 + i),
  name: `Staged ${i}`,
  bundleId: null,
  publisherId: null,
  publisherName: null,
  appVersion: null,
  iconUrl: null,
  rank: i,
});

/** One staging payload of `games`, as the consumer packs them. */
const payload = (games: GameRecord[]) => `[${games.map(stagingJson).join(",")}]`;

const stagedLeases = async () =>
  (await env.DB.prepare("SELECT lease_token, count(*) AS n FROM ingest_staging GROUP BY lease_token ORDER BY lease_token").all<{ lease_token: string; n: number }>()).results;

beforeEach(resetIngestState);

describe("ledger sweep", () => {
  it("deletes the staging rows of attempts that no longer hold their file, and keeps a live attempt's", async () => {
    await putObject("daily/a.json", JSON.stringify([iosRecord(1)]));
    await putObject("daily/b.json", JSON.stringify([iosRecord(2)]));
    await putObject("daily/c.json", JSON.stringify([iosRecord(3)]));
    const queue = holdingQueue();
    await runScan("cron", realDeps({ ingestQueue: queue }));
    const [killedThenDone, live, killedThenDead] = await files();
    const ledger = createLedger(realDeps().db);
    const now = new Date();

    // A: an attempt staged 1,200 rows and was killed; a later attempt finished the file.
    await stageGames(realDeps().db, "killed-a", killedThenDone!.id, payload(Array.from({ length: 1_200 }, (_, i) => game(i))));
    await env.DB.prepare("UPDATE ingest_files SET status = 'done', finished_at = ? WHERE id = ?").bind(now.toISOString(), killedThenDone!.id).run();
    // B: a consumer is staging right now under a live lease.
    expect(await ledger.claimFile(live!.id, live!.etag, "live-b", new Date(now.getTime() + 600_000), now)).toBeDefined();
    await stageGames(realDeps().db, "live-b", live!.id, payload([game(9_001), game(9_002)]));
    // C: killed, and the ledger then gave up on the file (dead): no claim will ever clean it.
    await stageGames(realDeps().db, "killed-c", killedThenDead!.id, payload([game(9_100)]));
    await env.DB.prepare("UPDATE ingest_files SET status = 'dead' WHERE id = ?").bind(killedThenDead!.id).run();
    expect(await stagingCount()).toBe(1_203);
    const s3CallsBefore = (await s3Requests()).length;

    const result = await sweepLedger(realDeps({ ingestQueue: holdingQueue() }));

    expect(result.stagingRowsDeleted).toBe(1_201);
    expect(await stagedLeases()).toEqual([{ lease_token: "live-b", n: 2 }]);
    // Ledger-only: no S3 call at all.
    expect(await s3Requests()).toHaveLength(s3CallsBefore);
  });

  it("does nothing, and sends nothing, when the ledger is healthy", async () => {
    await putObject("daily/a.json", JSON.stringify([iosRecord(1)]));
    const queue = holdingQueue();
    await runScan("cron", realDeps({ ingestQueue: queue }));
    const before = await files();
    const sent = holdingQueue();
    expect(await sweepLedger(realDeps({ ingestQueue: sent }))).toEqual({ requeued: 0, dead: 0, sent: 0, stagingRowsDeleted: 0, overdue: 0 });
    expect(sent.held).toEqual([]);
    expect(await files()).toEqual(before);
  });
});
