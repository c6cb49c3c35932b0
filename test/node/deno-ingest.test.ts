// Ingestion on Deno, end to end over real HTTP: s3rver behind the fault-injecting, signature-
// checking harness (test/harness/ingest-harness.ts) → the Deno server's scanner → Deno KV queue
// → consumer → SQLite. First the ingestion contract shared with the Worker
// (test/contract/ingest.ts), then what is specific to the Deno adapters: SigV4 from Deno, the
// KV queue's retries and dead-letter path, and the cron job.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startDenoServer, startLocalS3, TEST_ADMIN_KEY, type DenoServer, type LocalS3 } from "../contract/deno-server";
import { ingestContract, snsContract, type ContractTarget } from "../contract/index";
import { startIngestHarness, type FaultRule, type RecordedRequest } from "../harness/ingest-harness";
import { apiClient } from "../support/client";
import { servePage, TEST_TOPIC_ARN } from "../support/sns";
import { waitFor } from "../support/wait";

// Real processes on a machine that may be busy: starting Deno (first run: compiling) and waiting
// on the rate-limit clock or the queue take longer than vitest's defaults allow.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const BUCKET = "test-rankings";
const REGION = "eu-test-1";
/** Redeliveries before a message is dead-lettered (a Cloudflare consumer's max_retries). */
const MAX_RETRIES = 2;

let s3: LocalS3 | undefined;
let harness: Awaited<ReturnType<typeof startIngestHarness>> | undefined;
let server: DenoServer | undefined;
let harnessUrl = "";

const target: ContractTarget = { runtime: "deno", origin: "http://127.0.0.1:0", adminKey: TEST_ADMIN_KEY, fetch: (request) => fetch(request) };
const { callJson, call } = apiClient(target);

async function harnessCall(path: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(`${harnessUrl}/__harness/${path}`, init);
  if (!res.ok) throw new Error(`harness ${path}: ${res.status} ${await res.text()}`);
  return res;
}
const setFaults = (rules: FaultRule[]) => harnessCall("faults", { method: "PUT", body: JSON.stringify(rules) });
const alerts = async () => (await (await harnessCall("alerts")).json()) as { text: string }[];
const s3Requests = async () => (await (await harnessCall("requests")).json()) as RecordedRequest[];

async function putObject(key: string, body: string) {
  const url = `http://127.0.0.1:${s3!.port}/${BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const res = await fetch(url, { method: "PUT", body, headers: { "Content-Type": "application/json" } });
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`);
}

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  harness = await startIngestHarness({ s3Port: s3.port, bucket: BUCKET, region: REGION, accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
  harnessUrl = `http://127.0.0.1:${harness.port}`;
  server = await startDenoServer({
    S3_ENDPOINT: harnessUrl,
    S3_BUCKET: BUCKET,
    S3_REGION: REGION,
    // Every listing spans several pages.
    S3_LIST_PAGE_SIZE: "2",
    S3_TIMEOUT_MS: "2000",
    ALERT_WEBHOOK_URL: `${harnessUrl}/__harness/webhook`,
    INGEST_RETRY_BASE_SECONDS: "1",
    INGEST_RETRY_MAX_SECONDS: "1",
    INGEST_MAX_RETRIES: String(MAX_RETRIES),
    TEST_SCHEDULED: "true",
    // SNS certificates and SubscribeURLs come from the harness's pages (test/contract/sns.ts).
    SNS_TOPIC_ARNS: TEST_TOPIC_ARN,
    SNS_CERT_HOST_PATTERN: `127\\.0\\.0\\.1:${harness.port}`,
  });
  target.origin = server.origin;
});

afterAll(async () => {
  await server?.stop();
  await harness?.close();
  await s3?.stop();
});

async function etagOf(key: string) {
  const res = await fetch(`http://127.0.0.1:${s3!.port}/${BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`, { method: "HEAD" });
  if (!res.ok) throw new Error(`HEAD ${key}: ${res.status}`);
  return res.headers.get("ETag")!.replace(/"/g, "");
}

ingestContract(target, { reset: () => harnessCall("reset", { method: "POST" }).then(() => undefined), putObject, etagOf, bucket: BUCKET });
snsContract(target, { putObject, etagOf, bucket: BUCKET, servePage: (body, status) => servePage(harnessUrl, body, status) });

describe("[deno] ingestion adapters", () => {
  it("signs every S3 call with SigV4 (aws4fetch, unchanged) and pins downloads to the listed ETag", async () => {
    const requests = await s3Requests();
    expect(requests.filter((r) => r.op === "list").length).toBeGreaterThanOrEqual(2);
    expect(requests.filter((r) => r.op === "get").length).toBeGreaterThanOrEqual(2);
    for (const r of requests) expect(r.signatureValid, `${r.method} ${r.path}`).toBe(true);
    for (const r of requests.filter((x) => x.op === "get")) expect(r.ifMatch).toMatch(/^"[0-9a-f]+"$/);
  });

  it("a transiently failing file is retried with backoff, then dead-lettered (file dead + alert), and can be replayed", async () => {
    await setFaults([{ op: "get", key: "flaky.json", action: { kind: "status", status: 503 } }]);
    await putObject("daily/2021-12-10/flaky.json", JSON.stringify([[{ os: "ios", app_id: 42, name: "Flaky" }]]));
    // A key of its own: the admin key's populate cooldown is still running from the contract.
    const { body: runner } = await callJson<{ key: string }>("/api/keys", 201, { body: { name: "deno-flaky-runner", scopes: ["ingest:run"] } });
    const started = await callJson<{ runId: number; filesEnqueued: number }>("/api/games/populate", 202, { method: "POST", key: runner.key });
    expect(started.body.filesEnqueued).toBe(1);

    type File = { id: number; key: string; status: string; attempts: number; lastError: string | null };
    const dead = await waitFor(
      async () => (await callJson<File[]>("/api/ingest/files?status=dead", 200)).body.find((f) => f.key.endsWith("flaky.json")),
      (f) => f !== undefined,
      { timeoutMs: 20_000, intervalMs: 100, what: "the flaky file to be dead-lettered" },
    );
    // One delivery plus MAX_RETRIES redeliveries, each a real GET that got the 503.
    expect(dead!.attempts).toBe(MAX_RETRIES + 1);
    expect(dead!.lastError).toMatch(/503/);
    const gets = (await s3Requests()).filter((r) => r.op === "get" && r.path.endsWith("flaky.json"));
    expect(gets).toHaveLength(MAX_RETRIES + 1);
    // Each retry waited the delay the core chose (src/platform/deno/queue_test.ts times them).
    const retried = server!.output.filter((line) => line.includes('"msg":"ingest file will be retried"') && line.includes("flaky.json"));
    expect(retried.map((line) => JSON.parse(line).delaySeconds)).toEqual(Array(MAX_RETRIES + 1).fill(1));
    const alert = await waitFor(alerts, (a) => a.some((x) => x.text.includes("dead")), { what: "the dead-letter alert" });
    expect(alert.find((x) => x.text.includes("dead"))!.text).toContain("flaky.json");

    // The fault is fixed: replaying the dead file ingests it.
    await setFaults([]);
    const replay = await callJson<File>(`/api/ingest/files/${dead!.id}/retry`, 202, { method: "POST" });
    expect(replay.body.status).toBe("queued");
    await waitFor(
      async () => (await callJson<File[]>("/api/ingest/files?status=done", 200)).body,
      (files) => files.some((f) => f.id === dead!.id),
      { timeoutMs: 10_000, what: "the replayed file to be done" },
    );
    const found = await callJson<{ name: string }[]>("/api/games/search?name=Flaky", 200);
    expect(found.body.map((g) => g.name)).toEqual(["Flaky"]);
  });

  it("GET /__scheduled runs the daily cron job (scan with trigger cron, then the ledger sweep and the freshness check)", async () => {
    const res = await call("/__scheduled", { key: null });
    expect(res.status).toBe(200);
    const runs = await callJson<{ id: number; trigger: string; status: string }[]>("/api/ingest/runs", 200);
    expect(runs.body[0]).toMatchObject({ trigger: "cron", status: "succeeded" });
  });
});
