import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import android from "../../fixtures/android.top100.json";
import ios from "../../fixtures/ios.top100.json";
import { gameCount, putObject, resetIngestState, runCron, waitForFilesSettled } from "../../helpers/ingest";
import { distinctApps } from "../../helpers/fixtures";


describe("ingestion end to end", () => {
  beforeEach(resetIngestState);

  it("ingests the two sample files: cron → scan → queue → consumer → games and ledger", async () => {
    await putObject("daily/2021-12-09/ios.top100.json", JSON.stringify(ios));
    await putObject("daily/2021-12-09/android.top100.json", JSON.stringify(android));
    await runCron();
    const rows = await waitForFilesSettled(2);

    const expectedIos = distinctApps(ios as unknown[][]);
    const expectedAndroid = distinctApps(android as unknown[][]);
    expect(await gameCount("ios")).toBe(expectedIos.size);
    expect(await gameCount("android")).toBe(expectedAndroid.size);

    const byKey = Object.fromEntries(rows.map((r) => [r.key.split("/").pop(), r]));
    expect(byKey["ios.top100.json"]).toMatchObject({
      status: "done",
      records_seen: (ios as unknown[][]).flat().length,
      records_upserted: expectedIos.size,
      records_rejected: (ios as unknown[][]).flat().length - [...(ios as unknown[][]).flat()].filter((r) => (r as { os?: string }).os).length,
      games_written: expectedIos.size,
    });
    expect(byKey["android.top100.json"]).toMatchObject({ status: "done", records_seen: 300, records_upserted: expectedAndroid.size, records_rejected: 0 });

    const stored = await env.DB.prepare("SELECT platform || ':' || store_id AS k FROM games").all<{ k: string }>();
    expect(new Set(stored.results.map((r) => r.k))).toEqual(new Set([...expectedIos, ...expectedAndroid]));
  });
});
