import { beforeAll, describe, expect, it } from "vitest";
import android from "../fixtures/android.top100.json";
import ios from "../fixtures/ios.top100.json";
import { type ContractTarget } from "./target";
import { distinctApps } from "../helpers/fixtures";
import { apiClient } from "../support/client";
import { expectProblem } from "../support/problem";
import { waitFor } from "../support/wait";

/** The bucket behind the server under test, as the data team sees it. */
export interface IngestSource {
  /** Empties the bucket and the ingestion state the runner can reach, before the case runs. */
  reset(): Promise<void>;
  /** Uploads an object under the server's S3_PREFIX-relative key (e.g. `daily/…`). */
  putObject(key: string, body: string): Promise<void>;
  /** The object's ETag as S3 has it now, without quotes (what an S3 event carries). */
  etagOf(key: string): Promise<string>;
  /** The server's S3_BUCKET. */
  bucket: string;
}

/** A key as S3 writes it into an event: form-URL-encoded (`+` for a space). */
const formEncoded = (key: string) => encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");


interface Run {
  id: number;
  status: string;
  inProgress: boolean;
  totals: Record<string, number>;
  files: { key: string; status: string; recordsSeen: number; recordsUpserted: number; recordsRejected: number; gamesWritten: number }[];
}

/**
 * The data team's path end to end: two ranking files in S3 → `POST /api/games/populate` → queue
 * → consumer → games. Expects a server whose database holds no games yet (each runner gives
 * this case a database of its own).
 */
export function ingestContract(target: ContractTarget, source: IngestSource, { timeoutMs = 30_000 } = {}) {
  const { call, callJson } = apiClient(target);
  const iosApps = distinctApps(ios as unknown[][]);
  const androidApps = distinctApps(android as unknown[][]);

  describe(`[${target.runtime}] ingestion end to end from S3`, () => {
    beforeAll(async () => {
      await source.reset();
      await source.putObject("daily/2021-12-09/ios.top100.json", JSON.stringify(ios));
      await source.putObject("daily/2021-12-09/android.top100.json", JSON.stringify(android));
    });

    it("the fixtures hold 287 distinct iOS games (one record is {}) and 292 Android games", () => {
      expect(iosApps.size).toBe(287);
      expect(androidApps.size).toBe(292);
      expect((ios as unknown[][]).flat().filter((r) => JSON.stringify(r) === "{}")).toHaveLength(1);
    });

    it("populate → queue → consumer: both files done, every distinct game stored once, reads see them", async () => {
      expect((await callJson("/api/games?limit=1", 200)).res.headers.get("X-Total-Count")).toBe("0");

      const started = await callJson<{ runId: number; filesEnqueued: number; statusUrl: string }>("/api/games/populate", 202, { method: "POST" });
      expect(started.body.filesEnqueued).toBe(2);
      expect(started.body.statusUrl).toBe(`/api/ingest/runs/${started.body.runId}`);

      const run = await waitFor(
        async () => (await callJson<Run>(started.body.statusUrl, 200)).body,
        (r) => !r.inProgress,
        { timeoutMs, intervalMs: 100, what: "the ingestion run to finish" },
      );
      expect(run.status).toBe("succeeded");
      expect(run.totals).toMatchObject({ files: 2, done: 2, failed: 0, dead: 0, recordsSeen: 600, recordsRejected: 1, recordsUpserted: 579, gamesWritten: 579 });
      const byName = Object.fromEntries(run.files.map((f) => [f.key.split("/").pop(), f]));
      expect(byName["ios.top100.json"]).toMatchObject({ status: "done", recordsSeen: 300, recordsUpserted: 287, recordsRejected: 1, gamesWritten: 287 });
      expect(byName["android.top100.json"]).toMatchObject({ status: "done", recordsSeen: 300, recordsUpserted: 292, recordsRejected: 0, gamesWritten: 292 });

      // Ingestion bumped the data version: list reads are fresh, not cached from before.
      const iosList = await callJson<{ storeId: string; platform: string; isPublished: boolean }[]>("/api/games?platform=ios&limit=1000", 200);
      expect(iosList.res.headers.get("X-Total-Count")).toBe("287");
      expect(new Set(iosList.body.map((g) => `ios:${g.storeId}`))).toEqual(iosApps);
      expect(iosList.body.every((g) => g.isPublished)).toBe(true);
      const androidList = await callJson<{ storeId: string }[]>("/api/games?platform=android&limit=1000", 200);
      expect(androidList.res.headers.get("X-Total-Count")).toBe("292");
      expect(new Set(androidList.body.map((g) => `android:${g.storeId}`))).toEqual(androidApps);
      const stats = await callJson("/api/stats", 200);
      expect(stats.body.games).toEqual({ total: 579, byPlatform: { ios: 287, android: 292 } });
    });

    it("populate again with the same key within the cooldown: 429 with Retry-After and the run it started", async () => {
      const res = await call("/api/games/populate", { method: "POST" });
      const problem = await expectProblem(res, 429, "rate-limited");
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(problem.statusUrl).toMatch(/^\/api\/ingest\/runs\/\d+$/);
    });

    it("a second populate (by another key) finds the same file versions and enqueues nothing", async () => {
      const { body: runner } = await callJson<{ key: string }>("/api/keys", 201, { body: { name: "contract-runner", scopes: ["ingest:run", "ingest:read"] } });
      const again = await callJson<{ runId: number; filesEnqueued: number; statusUrl: string }>("/api/games/populate", 202, { method: "POST", key: runner.key });
      expect(again.body.filesEnqueued).toBe(0);
      const run = (await callJson<Run>(again.body.statusUrl, 200)).body;
      expect(run).toMatchObject({ status: "succeeded", inProgress: false });
      expect(run.files).toEqual([]);
    });

    it("POST /api/ingest/events: a file the scan ingested is not enqueued again; a new one announced by EventBridge is ingested", async () => {
      const known = "daily/2021-12-09/ios.top100.json";
      const record = (key: string, etag: string) => ({
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        eventTime: "2021-12-10T03:00:00.000Z",
        s3: { bucket: { name: source.bucket }, object: { key: formEncoded(key), size: 1, eTag: etag, sequencer: "0055AED6DCD90281E5" } },
      });
      const again = await callJson("/api/ingest/events", 202, { body: { Records: [record(known, await source.etagOf(known))] } });
      expect(again.body).toEqual({ runId: null, filesEnqueued: 0, ignored: 0 });

      const key = "daily/2021-12-10/new games + été.json";
      const apps = [
        { os: "ios", app_id: 990_000_001, name: "Event Game One" },
        { os: "ios", app_id: 990_000_002, name: "Event Game Two" },
      ];
      await source.putObject(key, JSON.stringify([apps]));
      const event = {
        version: "0",
        id: "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        source: "aws.s3",
        account: "111122223333",
        time: "2021-12-10T03:00:00Z",
        region: "us-east-1",
        resources: [`arn:aws:s3:::${source.bucket}`],
        detail: { version: "0", bucket: { name: source.bucket }, object: { key: formEncoded(key), size: 100, etag: await source.etagOf(key), sequencer: "617f08299329d189" }, reason: "PutObject" },
      };
      const accepted = await callJson<{ runId: number; filesEnqueued: number; ignored: number }>("/api/ingest/events", 202, { body: event });
      expect(accepted.body).toEqual({ runId: expect.any(Number), filesEnqueued: 1, ignored: 0 });
      const run = await waitFor(
        async () => (await callJson<Run & { trigger: string }>(`/api/ingest/runs/${accepted.body.runId}`, 200)).body,
        (r) => !r.inProgress,
        { timeoutMs, intervalMs: 100, what: "the event's run to finish" },
      );
      expect(run).toMatchObject({ trigger: "event", status: "succeeded", totals: { files: 1, done: 1, recordsUpserted: 2 } });
      expect(run.files.map((f) => f.key)).toEqual([key]);
      const found = await callJson<{ name: string }[]>("/api/games/search?name=Event%20Game", 200);
      expect(found.body.map((g) => g.name).sort()).toEqual(["Event Game One", "Event Game Two"]);

      // A duplicate delivery changes nothing.
      expect((await callJson("/api/ingest/events", 202, { body: event })).body).toMatchObject({ filesEnqueued: 0 });
    });

    it("POST /api/ingest/events: s3:TestEvent is acknowledged; a malformed document is a 400 naming the field", async () => {
      const test = await callJson("/api/ingest/events", 202, { body: { Service: "Amazon S3", Event: "s3:TestEvent", Time: "2021-12-10T03:00:00.000Z", Bucket: source.bucket } });
      expect(test.body).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
      const problem = await expectProblem(await call("/api/ingest/events", { method: "POST", body: { Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put" }] } }), 400, "validation");
      expect(problem.errors?.map((e) => e.path)).toContain("Records.0.eventTime");
    });
  });
}
