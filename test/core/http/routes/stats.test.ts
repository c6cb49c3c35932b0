import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callJson, createKey } from "../../../helpers/api";
import { sampleGame } from "../../../support/client";

async function recordIngestion(finishedAt: string) {
  await env.DB.prepare("INSERT INTO ingest_runs (trigger, status, started_at) VALUES ('cron', 'succeeded', ?)").bind(finishedAt).run();
  await env.DB.prepare(
    "INSERT INTO ingest_files (run_id, key, etag, size, status, created_at, updated_at, finished_at) VALUES ((SELECT max(id) FROM ingest_runs), ?, ?, 1, 'done', ?, ?, ?)",
  )
    .bind(`daily/${finishedAt}.json`, `"${finishedAt}"`, finishedAt, finishedAt, finishedAt)
    .run();
}

describe("GET /api/stats", () => {
  let reader: string;
  beforeAll(async () => {
    reader = (await createKey(["games:read"], "stats-reader")).key;
  });

  it("counts games per platform and has no ingestion time before the first ingestion", async () => {
    const before = (await callJson("/api/stats", 200, { key: reader })).body;
    expect(before).toEqual({ games: { total: 0, byPlatform: { ios: 0, android: 0 } }, lastIngestionAt: null, lastIngestionAgeSeconds: null });

    await callJson("/api/games", 201, { body: sampleGame({ storeId: "101" }) });
    await callJson("/api/games", 201, { body: sampleGame({ storeId: "102" }) });
    await callJson("/api/games", 201, { body: sampleGame({ platform: "android", storeId: "com.example.one" }) });

    const after = (await callJson("/api/stats", 200, { key: reader })).body;
    expect(after.games).toEqual({ total: 3, byPlatform: { ios: 2, android: 1 } });
  });

  it("reports the latest successful ingestion and its age", async () => {
    const older = new Date(Date.now() - 3 * 3600_000).toISOString();
    const newer = new Date(Date.now() - 90_000).toISOString();
    await recordIngestion(older);
    await recordIngestion(newer);
    const { body } = await callJson("/api/stats", 200, { key: reader });
    expect(body.lastIngestionAt).toBe(newer);
    expect(body.lastIngestionAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(body.lastIngestionAgeSeconds).toBeLessThan(90 + 60);
  });

  it("needs games:read", async () => {
    const other = (await createKey(["ingest:read"], "no-games")).key;
    expect((await call("/api/stats", { key: other })).status).toBe(403);
  });
});

describe("GET /health", () => {
  it("reports the database check and the age of the last successful ingestion", async () => {
    const { body } = await callJson("/health", 200, { key: null });
    expect(body.status).toBe("ok");
    expect(body.checks.db.status).toBe("ok");
    const stats = (await callJson("/api/stats", 200)).body;
    expect(body.ingestion.lastSuccessAt).toBe(stats.lastIngestionAt);
    if (stats.lastIngestionAt === null) expect(body.ingestion.ageSeconds).toBeNull();
    else expect(body.ingestion.ageSeconds).toBeGreaterThanOrEqual(0);
  });
});
