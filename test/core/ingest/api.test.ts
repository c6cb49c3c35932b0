// The ingestion API: populate (the cron's code path on demand), runs, files and retry, with
// their scopes, against the real Worker, D1, Queues and s3rver behind the harness.
import { env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call, callJson, createKey, nextLink } from "../../helpers/api";
import { alertsMentioning, files, gameCount, putObject, resetIngestState, runs, setFaults, waitForFile, waitForFilesSettled } from "../../helpers/ingest";
import { grouped, iosRecords, realDeps } from "../../helpers/ingest-pipeline";
import { expectProblem } from "../../support/problem";

interface RunView {
  id: number;
  trigger: string;
  status: string;
  inProgress: boolean;
  objectsListed: number;
  filesEnqueued: number;
  error: string | null;
  totals: Record<string, number>;
  files?: Record<string, unknown>[];
}

const IOS_KEY = "daily/2021-12-09/ios.json";
const ANDROID_KEY = "daily/2021-12-09/android.json";

const androidRecords = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ os: "android", app_id: `com.example.app${i}`, name: `Android ${i}` }));

/** Two data files (20 iOS games, 15 Android games plus one invalid record) and an ignored object. */
async function seedBucket() {
  await putObject(IOS_KEY, JSON.stringify(grouped(iosRecords(20))));
  await putObject(ANDROID_KEY, JSON.stringify(grouped([...androidRecords(15), { os: "android", app_id: "com.example.noname" }])));
  await putObject("daily/2021-12-09/README.txt", "not a data file", "text/plain");
}

const INTERNAL_FIELDS = ["leaseToken", "leaseExpiresAt", "sendClaim", "sendClaimedAt", "lease_token", "send_claim", "abandonedAttempts", "requeuedAt", "overdueAlertedAt"];
const expectNoInternals = (text: string) => {
  for (const field of INTERNAL_FIELDS) expect(text).not.toContain(field);
};


beforeEach(resetIngestState);

describe("POST /api/games/populate", () => {
  it("answers 202 with the run, points at its status, and the games appear once processed", async () => {
    await seedBucket();
    const { res, body } = await callJson("/api/games/populate", 202, { method: "POST" });
    expect(Object.keys(body).sort()).toEqual(["filesEnqueued", "newFiles", "objectsListed", "runId", "statusUrl"]);
    expect(body).toMatchObject({ filesEnqueued: 2, newFiles: 2, objectsListed: 3 });
    expect(body.statusUrl).toBe(`/api/ingest/runs/${body.runId}`);
    expect(res.headers.get("Location")).toBe(body.statusUrl);
    expect((await runs()).map((r) => [r.id, r.trigger])).toEqual([[body.runId, "manual"]]);

    await waitForFilesSettled(2);
    expect(await gameCount("ios")).toBe(20);
    expect(await gameCount("android")).toBe(15);

    const run = (await callJson<RunView>(body.statusUrl, 200)).body;
    expect(run).toMatchObject({ id: body.runId, status: "succeeded", inProgress: false, objectsListed: 3, filesEnqueued: 2 });
    expect(run.totals).toEqual({
      files: 2,
      queued: 0,
      processing: 0,
      done: 2,
      failed: 0,
      dead: 0,
      superseded: 0,
      recordsSeen: 36,
      recordsUpserted: 35,
      recordsRejected: 1,
      gamesWritten: 35,
    });

    // The same bucket again (another key: one scan per key per cooldown): nothing new to enqueue.
    const other = await createKey(["ingest:run"], "second-runner");
    const again = (await callJson("/api/games/populate", 202, { method: "POST", key: other.key })).body;
    expect(again).toMatchObject({ filesEnqueued: 0, newFiles: 0, objectsListed: 3 });
    expect(again.runId).toBeGreaterThan(body.runId);
  });

  it("answers 502 problem+json naming the run when S3 fails, and records the run as failed", async () => {
    await seedBucket();
    await setFaults([{ op: "list", action: { kind: "status", status: 500, code: "InternalError" } }]);
    const problem = await expectProblem(await call("/api/games/populate", { method: "POST" }), 502, "bad-gateway");

    const [run, ...others] = await runs();
    expect(others).toEqual([]);
    expect(run).toMatchObject({ status: "failed", trigger: "manual", files_enqueued: 0 });
    expect(run!.error).toMatch(/^s3-500: /);
    expect(problem.detail).toContain(`run ${run!.id}`);
    expect(problem.detail).toContain("s3-500");
    expect(await files()).toEqual([]);
    expect(await alertsMentioning("Ingestion scan failed", `*runId:* ${run!.id}`)).toHaveLength(1);

    const view = (await callJson<RunView>(`/api/ingest/runs/${run!.id}`, 200)).body;
    expect(view).toMatchObject({ status: "failed", inProgress: false, error: run!.error });
  });
});

describe("POST /api/games/populate: one scan per key per cooldown", () => {
  const COOLDOWN = realDeps().config.ingest.populateCooldownSeconds;

  it("a second call within the cooldown is a 429 with Retry-After and the run the key started; other keys are not held back", async () => {
    await seedBucket();
    const runner = await createKey(["ingest:run"], "cooldown-runner");
    const { body: first } = await callJson("/api/games/populate", 202, { method: "POST", key: runner.key });

    const res = await call("/api/games/populate", { method: "POST", key: runner.key });
    const problem = await expectProblem(res, 429, "rate-limited");
    const retryAfter = Number(res.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(COOLDOWN - 10);
    expect(retryAfter).toBeLessThanOrEqual(COOLDOWN);
    expect(problem).toMatchObject({ statusUrl: first.statusUrl });
    expect(problem.detail).toContain(`run ${first.runId}`);
    // Refused before touching anything: no run recorded, no listing.
    expect((await runs()).map((r) => r.id)).toEqual([first.runId]);

    // Another key (here the admin key) scans at once.
    const { body: other } = await callJson("/api/games/populate", 202, { method: "POST" });
    expect(other.runId).toBeGreaterThan(first.runId);
  });

  it("the key may scan again once the cooldown has passed", async () => {
    const runner = await createKey(["ingest:run"], "patient-runner");
    const { body: first } = await callJson("/api/games/populate", 202, { method: "POST", key: runner.key });
    await expectProblem(await call("/api/games/populate", { method: "POST", key: runner.key }), 429, "rate-limited");
    // The clock moves on: the run was started just over the cooldown ago.
    const past = new Date(Date.now() - (COOLDOWN + 1) * 1000).toISOString();
    await env.DB.prepare("UPDATE ingest_runs SET started_at = ? WHERE id = ?").bind(past, first.runId).run();
    const { body: second } = await callJson("/api/games/populate", 202, { method: "POST", key: runner.key });
    expect(second.runId).toBeGreaterThan(first.runId);
  });

  it("of five concurrent calls by one key, exactly one starts a scan", async () => {
    const runner = await createKey(["ingest:run"], "eager-runner");
    const responses = await Promise.all(Array.from({ length: 5 }, () => call("/api/games/populate", { method: "POST", key: runner.key })));
    expect(responses.map((r) => r.status).sort()).toEqual([202, 429, 429, 429, 429]);
    expect(await runs()).toHaveLength(1);
  });
});

describe("GET /api/ingest/runs and /api/ingest/runs/{id}", () => {
  it("shows a run in progress while its files are queued or processing, then its final totals", async () => {
    await seedBucket();
    // Slow downloads (below the 1000 ms S3 timeout) keep the files in flight for a while.
    await setFaults([{ op: "get", action: { kind: "delay", ms: 700 } }]);
    const { body: populated } = await callJson("/api/games/populate", 202, { method: "POST" });

    const { body: running } = await callJson<RunView[]>("/api/ingest/runs", 200);
    expect(running[0]).toMatchObject({ id: populated.runId, status: "succeeded", inProgress: true });
    const inFlight = running[0]!.totals;
    expect(inFlight.queued! + inFlight.processing!).toBeGreaterThan(0);

    // While a consumer holds a file, its lease and claim columns are set in D1 but never shown.
    await waitForFile(IOS_KEY, (r) => r.status === "processing", "processing");
    const leased = await env.DB.prepare("SELECT count(*) AS n FROM ingest_files WHERE lease_token IS NOT NULL").first<{ n: number }>();
    expect(leased!.n).toBeGreaterThan(0);
    for (const path of ["/api/ingest/runs", `/api/ingest/runs/${populated.runId}`, "/api/ingest/files", "/api/ingest/files?status=processing"]) {
      const res = await call(path);
      expect(res.status).toBe(200);
      expectNoInternals(await res.text());
    }

    const settled = await waitForFilesSettled(2);
    const { body: detail } = await callJson<RunView>(`/api/ingest/runs/${populated.runId}`, 200);
    expect(detail.inProgress).toBe(false);
    expect(detail.files!.map((f) => [f.id, f.key, f.status])).toEqual(settled.map((r) => [r.id, r.key, "done"]));
    const ios = detail.files!.find((f) => f.key === IOS_KEY)!;
    expect(ios).toMatchObject({ recordsSeen: 20, recordsUpserted: 20, recordsRejected: 0, gamesWritten: 20, rejectionSamples: [], attempts: 1 });
    const android = detail.files!.find((f) => f.key === ANDROID_KEY)!;
    expect(android).toMatchObject({ recordsSeen: 16, recordsUpserted: 15, recordsRejected: 1, gamesWritten: 15 });
    expect(android.rejectionSamples).toEqual([{ index: 15, reason: expect.stringContaining("name") }]);
    // Totals are the sums over the run's files.
    expect(detail.totals).toMatchObject({ files: 2, done: 2, recordsSeen: 36, recordsUpserted: 35, recordsRejected: 1, gamesWritten: 35 });
    expect(Object.keys(ios).sort()).toEqual(
      [
        "attempts",
        "createdAt",
        "etag",
        "finishedAt",
        "gamesWritten",
        "id",
        "key",
        "lastError",
        "lastModified",
        "recordsRejected",
        "recordsSeen",
        "recordsUpserted",
        "rejectionSamples",
        "runId",
        "sentAt",
        "size",
        "startedAt",
        "status",
        "updatedAt",
      ].sort(),
    );
  });

  it("lists runs newest first and pages them with `limit` and `Link`", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const runner = await createKey(["ingest:run"], `runner-${i}`);
      ids.push((await callJson("/api/games/populate", 202, { method: "POST", key: runner.key })).body.runId);
    }
    const newestFirst = [...ids].reverse();

    const all = await callJson<RunView[]>("/api/ingest/runs", 200);
    expect(all.body.map((r) => r.id)).toEqual(newestFirst);
    expect(all.res.headers.get("Link")).toBeNull();

    const first = await callJson<RunView[]>("/api/ingest/runs?limit=2", 200);
    expect(first.body.map((r) => r.id)).toEqual(newestFirst.slice(0, 2));
    const next = nextLink(first.res);
    expect(next).toMatch(/^\/api\/ingest\/runs\?/);
    const second = await callJson<RunView[]>(next!, 200);
    expect(second.body.map((r) => r.id)).toEqual(newestFirst.slice(2));
    expect(second.res.headers.get("Link")).toBeNull();

    // A page that ends exactly at the oldest run does not link to an empty page.
    const exact = await callJson<RunView[]>("/api/ingest/runs?limit=3", 200);
    expect(exact.body).toHaveLength(3);
    expect(exact.res.headers.get("Link")).toBeNull();

    await expectProblem(await call("/api/ingest/runs?limit=0"), 400, "validation");
    await expectProblem(await call("/api/ingest/runs?cursor=not-a-cursor"), 400, "validation");
  });

  it("answers 404 for an unknown run and 400 for an id that is not a number", async () => {
    const { body } = await callJson("/api/games/populate", 202, { method: "POST" });
    await expectProblem(await call(`/api/ingest/runs/${body.runId + 1}`), 404, "not-found");
    await expectProblem(await call("/api/ingest/runs/abc"), 400, "validation");
  });
});

describe("GET /api/ingest/files", () => {
  it("filters by status: done, failed, dead; an unknown status is a 400", async () => {
    await seedBucket();
    await putObject("daily/2021-12-09/broken.json", JSON.stringify(grouped(iosRecords(3, "Broken", 900))));
    await putObject("daily/2021-12-09/lost.json", JSON.stringify(grouped(iosRecords(3, "Lost", 950))));
    await setFaults([{ op: "get", key: "broken", action: { kind: "status", status: 403 } }]);
    await callJson("/api/games/populate", 202, { method: "POST" });
    const settled = await waitForFilesSettled(4);
    // A dead file needs four failed deliveries (see dead-letter.test.ts); here one is made dead directly.
    await env.DB.prepare("UPDATE ingest_files SET status = 'dead', last_error = 'retries exhausted' WHERE key LIKE '%lost.json'").run();
    const idsOf = (predicate: (key: string) => boolean) =>
      settled
        .filter((r) => predicate(r.key))
        .map((r) => r.id)
        .sort((a, b) => b - a);

    const byStatus = async (status: string) => (await callJson<{ id: number; status: string }[]>(`/api/ingest/files?status=${status}`, 200)).body;
    expect((await byStatus("failed")).map((f) => f.id)).toEqual(idsOf((k) => k.endsWith("broken.json")));
    expect((await byStatus("dead")).map((f) => f.id)).toEqual(idsOf((k) => k.endsWith("lost.json")));
    expect((await byStatus("done")).map((f) => f.id)).toEqual(idsOf((k) => k === IOS_KEY || k === ANDROID_KEY));
    expect(await byStatus("queued")).toEqual([]);
    const failed = (await byStatus("failed"))[0]!;
    expect(failed).toMatchObject({ status: "failed", lastError: expect.stringMatching(/^s3-403: /) });

    const everything = (await callJson<{ id: number }[]>("/api/ingest/files", 200)).body;
    expect(everything.map((f) => f.id)).toEqual(idsOf(() => true));

    const page = await callJson<{ id: number }[]>("/api/ingest/files?limit=3", 200);
    expect(page.body.map((f) => f.id)).toEqual(idsOf(() => true).slice(0, 3));
    const rest = await callJson<{ id: number }[]>(nextLink(page.res)!, 200);
    expect(rest.body.map((f) => f.id)).toEqual(idsOf(() => true).slice(3));

    const problem = await expectProblem(await call("/api/ingest/files?status=finished"), 400, "validation");
    expect(problem.errors?.map((e) => [e.location, e.path])).toEqual([["query", "status"]]);
  });
});

describe("scopes", () => {
  let keys: Record<"gamesRead" | "ingestRead" | "ingestRun", string>;

  beforeAll(async () => {
    keys = {
      gamesRead: (await createKey(["games:read", "games:write"], "games-only")).key,
      ingestRead: (await createKey(["ingest:read"], "ingest-reader")).key,
      ingestRun: (await createKey(["ingest:run"], "ingest-runner")).key,
    };
  });

  const READS = ["/api/ingest/runs", "/api/ingest/files", "/api/ingest/files?status=failed"];

  it("a key without ingest scopes gets 403 on every ingestion route and changes nothing", async () => {
    await seedBucket();
    for (const path of [...READS, "/api/ingest/runs/1"]) await expectProblem(await call(path, { key: keys.gamesRead }), 403, "forbidden");
    await expectProblem(await call("/api/games/populate", { method: "POST", key: keys.gamesRead }), 403, "forbidden");
    await expectProblem(await call("/api/ingest/files/1/retry", { method: "POST", key: keys.gamesRead }), 403, "forbidden");
    expect(await runs()).toEqual([]);
    await expectProblem(await call("/api/ingest/runs", { key: null }), 401, "unauthorized");
    await expectProblem(await call("/api/games/populate", { method: "POST", key: null }), 401, "unauthorized");
  });

  it("ingest:read reads but cannot run; ingest:run runs and retries but cannot read", async () => {
    const failedKey = "daily/2021-12-09/denied.json";
    await putObject(failedKey, JSON.stringify(grouped(iosRecords(3))));
    await setFaults([{ op: "get", times: 1, action: { kind: "status", status: 403 } }]);

    await expectProblem(await call("/api/games/populate", { method: "POST", key: keys.ingestRead }), 403, "forbidden");
    expect(await runs()).toEqual([]);
    const { body: run } = await callJson("/api/games/populate", 202, { method: "POST", key: keys.ingestRun });
    const [failed] = await waitForFilesSettled(1);
    expect(failed!.status).toBe("failed");

    for (const path of [...READS, `/api/ingest/runs/${run.runId}`]) {
      expect((await call(path, { key: keys.ingestRead })).status).toBe(200);
      await expectProblem(await call(path, { key: keys.ingestRun }), 403, "forbidden");
    }

    await expectProblem(await call(`/api/ingest/files/${failed!.id}/retry`, { method: "POST", key: keys.ingestRead }), 403, "forbidden");
    expect((await files())[0]!.status).toBe("failed");
    const { body: retried } = await callJson(`/api/ingest/files/${failed!.id}/retry`, 202, { method: "POST", key: keys.ingestRun });
    expectNoInternals(JSON.stringify(retried));
    expect(retried).toMatchObject({ id: failed!.id, status: expect.stringMatching(/^(queued|processing|done)$/) });
    await waitForFile(failedKey, (r) => r.status === "done", "done after the retry");
    expect(await gameCount("ios")).toBe(3);
  });
});
