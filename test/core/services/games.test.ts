import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/core/log";
import { createDataVersion } from "../../../src/core/data/data-version";
import { gamesService } from "../../../src/core/services/games";
import { gameEntityTag } from "../../../src/core/services/etag";
import { createKvStore } from "../../../src/platform/cloudflare/kv-store";
import { interleavedDatabase, onceBefore } from "../../helpers/d1-interleave";
import { seedRows } from "../../helpers/games";
import { InvocationBudget } from "../../support/invocation";
import { limitedD1 } from "../../support/limited-d1";
import { uniqueIosStoreId } from "../../support/client";

const log = createLogger("error");
/** The real local D1 behind production's limits, with one invocation's budget per service built on it. */
const limitedDb = () => {
  const budget = new InvocationBudget();
  return limitedD1(env.DB, () => budget);
};
const kv = createKvStore(env.CACHE);
const dataVersion = createDataVersion(kv, log);
/** The data-version writes these services defer run on their own; nothing here reads them. */
const defer = (promise: Promise<unknown>) => void promise;
const UPDATE_GAMES = /^update "games"/i;
const DELETE_GAMES = /^delete from "games"/i;

/** What the ingestion merge does to a game it changes (src/core/data/staging.ts commitFile). */
async function ingestionWrite(id: number) {
  await env.DB.prepare("UPDATE games SET app_version = ?, rank = ?, is_published = 1, updated_at = ?, source_key = ? WHERE id = ?")
    .bind("9.9.9", 3, new Date(Date.now() + 1).toISOString(), "daily/2030-01-01/ios.json", id)
    .run();
}

const row = (id: number) => env.DB.prepare("SELECT * FROM games WHERE id = ?").bind(id).first<Record<string, unknown>>();

async function seedGame() {
  const [id] = await seedRows([{ platform: "ios", storeId: uniqueIosStoreId(), name: "Original", appVersion: "1.0.0", rank: 50, isPublished: true }]);
  return id!;
}

describe("a write racing another writer", () => {
  it("a PATCH that lands right after an ingestion commit keeps the ingested fields", async () => {
    const id = await seedGame();
    const service = gamesService({ db: interleavedDatabase(limitedDb(), onceBefore(UPDATE_GAMES, () => ingestionWrite(id))), dataVersion, now: () => new Date() }, defer);
    const game = await service.patch(id, { name: "Edited" });
    expect(game).toMatchObject({ name: "Edited", appVersion: "9.9.9", rank: 3 });
    expect(await row(id)).toMatchObject({ name: "Edited", app_version: "9.9.9", rank: 3, source_key: "daily/2030-01-01/ios.json" });
  });

  it("If-Match is checked in the same statement as the write: a change landing after the check → 412, and that change is kept", async () => {
    const id = await seedGame();
    const etag = await gameEntityTag(await gamesService({ db: interleavedDatabase(limitedDb(), async () => {}), dataVersion, now: () => new Date() }, defer).get(id));
    for (const [method, call] of [
      ["PATCH", (s: ReturnType<typeof gamesService>) => s.patch(id, { name: "Lost" }, { ifMatch: [etag] })],
      ["PUT", (s: ReturnType<typeof gamesService>) => s.replace(id, { name: "Lost", platform: "ios", storeId: "1" }, { ifMatch: [etag] })],
      ["DELETE", (s: ReturnType<typeof gamesService>) => s.remove(id, { ifMatch: [etag] })],
    ] as const) {
      const pattern = method === "DELETE" ? DELETE_GAMES : UPDATE_GAMES;
      const racing = gamesService({ db: interleavedDatabase(limitedDb(), onceBefore(pattern, () => ingestionWrite(id))), dataVersion, now: () => new Date() }, defer);
      await expect(call(racing), method).rejects.toMatchObject({ code: "precondition-failed" });
      expect(await row(id), method).toMatchObject({ name: "Original", app_version: "9.9.9", rank: 3 });
    }
  });

  it("a PATCH of storeId alone is validated against the platform the write really meets", async () => {
    const id = await seedGame();
    // Another client moves the game to android between this PATCH's read and its write.
    const moveToAndroid = () => env.DB.prepare("UPDATE games SET platform = 'android', store_id = ? WHERE id = ?").bind(`com.race.g${id}`, id).run();
    const service = gamesService({ db: interleavedDatabase(limitedDb(), onceBefore(UPDATE_GAMES, moveToAndroid)), dataVersion, now: () => new Date() }, defer);
    await expect(service.patch(id, { storeId: "123456789" })).rejects.toMatchObject({ code: "validation" });
    expect(await row(id)).toMatchObject({ platform: "android", store_id: `com.race.g${id}` });
  });
});
