// POST /api/ingest/sns: Amazon SNS messages verified end to end through the Worker, with a test
// CA and signing certificates generated here and served on loopback by the ingest harness
// (test/helpers/sns.ts). What a refused message must never do is reach the ledger or the queue.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createCertificateCache } from "../../../src/core/services/sns/certificate-cache";
import { call, callDrained } from "../../helpers/api";
import { files, gameCount, putObject, resetIngestState, runs, waitForFilesSettled } from "../../helpers/ingest";
import { grouped, iosRecords } from "../../helpers/ingest-pipeline";
import { createdEvent, s3Notification } from "../../helpers/s3-events";
import { confirmation, createSigner, notification, pageHits, SECOND_TOPIC_ARN, servePage, sign, type Signer } from "../../helpers/sns";
import { expectProblem } from "../../support/problem";

const MINUTE_MS = 60_000;

/** Posts `message` as SNS does: JSON in a text/plain body, no API key. */
const post = (message: unknown, contentType = "text/plain; charset=UTF-8") =>
  call("/api/ingest/sns", { method: "POST", key: null, rawBody: typeof message === "string" ? message : JSON.stringify(message), contentType });

let signer: Signer;
let certUrl: string;
/** A notification of an object that is not in the bucket: whatever reached the ledger would show. */
const created = s3Notification({ key: "daily/2026-12-04/sns.json", size: 1234, etag: "0123456789abcdef0123456789abcdef" });

beforeAll(async () => {
  signer = await createSigner();
});

beforeEach(async () => {
  await resetIngestState();
  certUrl = await servePage(signer.pem);
});

/** Nothing reached the ledger (and so nothing was enqueued: only recorded files are sent). */
async function expectNothingRecorded() {
  expect(await files()).toEqual([]);
}

describe("POST /api/ingest/sns: a verified Notification hands its S3 document to the events code path", () => {
  it.each(["1", "2"] as const)("SignatureVersion %s: the file is recorded under an event run, enqueued and ingested → 202", async (version) => {
    const key = `daily/2021-12-09/sns-v${version}.json`;
    await putObject(key, JSON.stringify(grouped(iosRecords(6))));
    const res = await post(await sign(notification(certUrl, s3Notification(await createdEvent(key))), signer, version));
    expect(res.status, await res.clone().text()).toBe(202);
    const body = (await res.json()) as { runId: number };
    expect(body).toEqual({ runId: expect.any(Number), filesEnqueued: 1, ignored: 0 });
    expect((await runs()).map((r) => [r.id, r.trigger, r.files_enqueued])).toEqual([[body.runId, "event", 1]]);
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key, status: "done", run_id: body.runId, attempts: 1 });
    expect(await gameCount("ios")).toBe(6);
  });

  it("the same message delivered again (SNS retries, same MessageId) changes nothing: one ledger row, sent and processed once", async () => {
    const key = "daily/2021-12-09/sns-retried.json";
    await putObject(key, JSON.stringify(grouped(iosRecords(3))));
    const message = await sign(notification(certUrl, s3Notification(await createdEvent(key))), signer);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(message);
      expect(res.status, await res.clone().text()).toBe(202);
      answers.push(((await res.json()) as { filesEnqueued: number }).filesEnqueued);
    }
    expect(answers).toEqual([1, 0, 0]);
    const [row] = await waitForFilesSettled(1);
    expect(row).toMatchObject({ key, status: "done", attempts: 1 });
    expect(await files()).toHaveLength(1);
    expect(await pageHits(certUrl)).toBe(1);
  });

  it("S3's s3:TestEvent and another bucket's object are acknowledged and ignored → 202, nothing recorded", async () => {
    const test = { Service: "Amazon S3", Event: "s3:TestEvent", Time: new Date().toISOString(), Bucket: "test-rankings", RequestId: "5582815E1AEA5ADF", HostId: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE" };
    for (const message of [test, s3Notification({ key: "daily/x.json", size: 1, etag: "0123456789abcdef0123456789abcdef", bucket: "someone-elses" })]) {
      const res = await post(await sign(notification(certUrl, message), signer));
      expect(res.status, await res.clone().text()).toBe(202);
      expect(await res.json()).toEqual({ runId: null, filesEnqueued: 0, ignored: 1 });
    }
    await expectNothingRecorded();
  });

  it("an authentic Message that is not JSON → 400 malformed-json; JSON that is no S3 document → 400 validation that says so", async () => {
    await expectProblem(await post(await sign(notification(certUrl, "hello from the console"), signer)), 400, "malformed-json");
    const problem = await expectProblem(await post(await sign(notification(certUrl, { Records: [{ eventSource: "aws:s3" }] }), signer)), 400, "validation");
    expect(problem.detail).toMatch(/^The SNS notification's Message is not an S3 event document: Invalid body\./);
    expect(problem.errors?.length).toBeGreaterThan(0);
    await expectNothingRecorded();
  });
});

describe("POST /api/ingest/sns refuses a message that is not authentic, and records nothing", () => {
  it.each(["1", "2"] as const)("a tampered Message (SignatureVersion %s) → 403 sns-signature-invalid", async (version) => {
    const signed = await sign(notification(certUrl, created), signer, version);
    const tampered = { ...signed, Message: JSON.stringify(s3Notification({ key: "daily/evil.json", size: 1, etag: "ffffffffffffffffffffffffffffffff" })) };
    const problem = await expectProblem(await post(tampered), 403, "sns-signature-invalid");
    expect(problem.detail).toContain(`SignatureVersion ${version}`);
    await expectNothingRecorded();
  });

  it("a tampered Subject → 403; so is a Subject added to, or removed from, a signed message", async () => {
    const signed = await sign(notification(certUrl, created), signer);
    await expectProblem(await post({ ...signed, Subject: "Amazon S3 Notification!" }), 403, "sns-signature-invalid");
    await expectProblem(await post({ ...signed, Subject: undefined }), 403, "sns-signature-invalid");
    const unsubjected = await sign(notification(certUrl, created, { Subject: undefined }), signer);
    await expectProblem(await post({ ...unsubjected, Subject: "Added" }), 403, "sns-signature-invalid");
    await expectNothingRecorded();
  });

  it("a signature by a key other than the certificate's → 403", async () => {
    const other = await createSigner();
    const signed = await sign(notification(certUrl, created), other);
    await expectProblem(await post(signed), 403, "sns-signature-invalid");
    await expectNothingRecorded();
  });

  it("a signature of version 2 presented as version 1 → 403", async () => {
    const signed = await sign(notification(certUrl, created), signer, "2");
    await expectProblem(await post({ ...signed, SignatureVersion: "1" }), 403, "sns-signature-invalid");
  });

  it("a topic not in SNS_TOPIC_ARNS → 403 sns-topic-not-allowed, and no certificate is fetched", async () => {
    const topic = "arn:aws:sns:eu-test-1:123456789012:someone-elses-topic";
    const signed = await sign(notification(certUrl, created, { TopicArn: topic }), signer);
    const problem = await expectProblem(await post(signed), 403, "sns-topic-not-allowed");
    expect(problem.detail).toBe(`Topic ${topic} is not in SNS_TOPIC_ARNS`);
    expect(await pageHits(certUrl)).toBe(0);
    await expectNothingRecorded();
  });

  it.each([
    ["http", (url: string) => url.replace(/^http:\/\/127\.0\.0\.1:\d+/, "http://sns.eu-test-1.amazonaws.com"), /is not an https URL/],
    ["a lookalike host", () => "https://sns.us-east-1.amazonaws.com.evil.test/SimpleNotificationService-0000.pem", /is on sns\.us-east-1\.amazonaws\.com\.evil\.test, not an Amazon SNS host/],
    ["another host", () => "https://evil.test/sns.us-east-1.amazonaws.com/cert.pem", /is on evil\.test, not an Amazon SNS host/],
    ["credentials in the URL", (url: string) => url.replace("http://", "http://sns.us-east-1.amazonaws.com@"), /carries credentials/],
    ["the trusted host on another port", (url: string) => url.replace(/:(\d+)\//, (_, port: string) => `:${Number(port) + 1}/`), /not an Amazon SNS host/],
  ])("a SigningCertURL over %s → 403 sns-untrusted-url, and nothing is fetched", async (_what, certificateUrl, detail) => {
    const url = certificateUrl(certUrl);
    const signed = await sign(notification(url, created), signer);
    const problem = await expectProblem(await post(signed), 403, "sns-untrusted-url");
    expect(problem.detail).toMatch(detail);
    expect(await pageHits(certUrl)).toBe(0);
    await expectNothingRecorded();
  });

  it("a Timestamp older than 65 minutes → 403 sns-message-expired; one from 64 minutes ago (SNS's last retry) passes that check", async () => {
    const old = await sign(notification(certUrl, created, { Timestamp: new Date(Date.now() - 66 * MINUTE_MS).toISOString() }), signer);
    const problem = await expectProblem(await post(old), 403, "sns-message-expired");
    expect(problem.detail).toMatch(/more than 65 minutes ago .*refused as a replay/);
    expect(await pageHits(certUrl)).toBe(0);
    // Tampered after signing, so the verification goes on past the window to the signature.
    const retried = await sign(notification(certUrl, created, { Timestamp: new Date(Date.now() - 64 * MINUTE_MS).toISOString() }), signer);
    await expectProblem(await post({ ...retried, Message: "{}" }), 403, "sns-signature-invalid");
    await expectNothingRecorded();
  });

  it("a Timestamp more than 5 minutes in the future → 403 sns-message-expired", async () => {
    const future = await sign(notification(certUrl, created, { Timestamp: new Date(Date.now() + 6 * MINUTE_MS).toISOString() }), signer);
    const problem = await expectProblem(await post(future), 403, "sns-message-expired");
    expect(problem.detail).toMatch(/in the future/);
    await expectNothingRecorded();
  });

  it.each([
    ["expired", { notBefore: new Date(Date.now() - 30 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }],
    ["not yet valid", { notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 30 * 86_400_000) }],
  ])("a certificate that is %s → 403 sns-signature-invalid, though the signature matches", async (_what, validity) => {
    const outdated = await createSigner(validity);
    const url = await servePage(outdated.pem);
    const signed = await sign(notification(url, created), outdated);
    const problem = await expectProblem(await post(signed), 403, "sns-signature-invalid");
    expect(problem.detail).toMatch(/^The signing certificate is valid from .* to .*, not now$/);
    await expectNothingRecorded();
  });
});

describe("POST /api/ingest/sns when the certificate cannot be had → 502 (SNS retries), never a 500", () => {
  it.each([
    ["answers 404", 404, "PEM"],
    ["answers 500", 500, "PEM"],
    ["is not a certificate", 200, "<html>maintenance</html>"],
  ])("the certificate URL %s → 502 bad-gateway; once it serves the certificate, the next delivery is verified", async (_what, status, body) => {
    const url = await servePage(body === "PEM" ? signer.pem : body, status);
    const signed = await sign(notification(url, created, { Message: "{}" }), signer);
    const problem = await expectProblem(await post(signed), 502, "bad-gateway");
    expect(problem.detail).toMatch(/^The SNS signing certificate could not be obtained: /);
    // A failed download is not remembered: the retry downloads again and gets as far as the signature.
    await fetch(`${url}?status=200`, { method: "PUT", body: signer.pem });
    await expectProblem(await post({ ...signed, Message: "{ }" }), 403, "sns-signature-invalid");
    expect(await pageHits(url)).toBe(2);
    await expectNothingRecorded();
  });
});

describe("POST /api/ingest/sns: subscription confirmation", () => {
  it.each(["1", "2"] as const)("a SubscriptionConfirmation (SignatureVersion %s) is confirmed by one GET of its SubscribeURL → 200", async (version) => {
    const subscribeUrl = await servePage("<ConfirmSubscriptionResponse/>");
    const message = await sign(confirmation(certUrl, subscribeUrl), signer, version);
    const res = await post(message);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ type: "SubscriptionConfirmation", topicArn: message.TopicArn, messageId: message.MessageId });
    expect(await pageHits(subscribeUrl)).toBe(1);
  });

  it("a tampered SubscribeURL is refused before it is fetched", async () => {
    const subscribeUrl = await servePage("<ConfirmSubscriptionResponse/>");
    const elsewhere = await servePage("<ConfirmSubscriptionResponse/>");
    const message = await sign(confirmation(certUrl, subscribeUrl), signer);
    await expectProblem(await post({ ...message, SubscribeURL: elsewhere }), 403, "sns-signature-invalid");
    expect(await pageHits(subscribeUrl)).toBe(0);
    expect(await pageHits(elsewhere)).toBe(0);
  });

  it("a signed SubscribeURL on an untrusted host → 403 sns-untrusted-url, not fetched", async () => {
    const message = await sign(confirmation(certUrl, "https://sns.eu-test-1.amazonaws.com.evil.test/?Action=ConfirmSubscription"), signer);
    const problem = await expectProblem(await post(message), 403, "sns-untrusted-url");
    expect(problem.detail).toMatch(/^SubscribeURL is on sns\.eu-test-1\.amazonaws\.com\.evil\.test/);
  });

  it("a SubscribeURL that fails → 502, so SNS sends the confirmation again", async () => {
    const subscribeUrl = await servePage("<Error/>", 503);
    const message = await sign(confirmation(certUrl, subscribeUrl), signer);
    const problem = await expectProblem(await post(message), 502, "bad-gateway");
    expect(problem.detail).toBe(`Confirming the subscription to ${message.TopicArn} failed: SNS answered 503`);
    expect(await pageHits(subscribeUrl)).toBe(1);
  });

  it("a confirmation from a topic not in SNS_TOPIC_ARNS is not confirmed", async () => {
    const subscribeUrl = await servePage("<ConfirmSubscriptionResponse/>");
    const message = await sign(confirmation(certUrl, subscribeUrl, { TopicArn: "arn:aws:sns:eu-test-1:123456789012:other" }), signer);
    await expectProblem(await post(message), 403, "sns-topic-not-allowed");
    expect(await pageHits(subscribeUrl)).toBe(0);
  });

  it("an UnsubscribeConfirmation is verified and acknowledged → 200, without fetching anything", async () => {
    const subscribeUrl = await servePage("<ConfirmSubscriptionResponse/>");
    const message = await sign(confirmation(certUrl, subscribeUrl, { Type: "UnsubscribeConfirmation", TopicArn: SECOND_TOPIC_ARN }), signer);
    const res = await post(message);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ type: "UnsubscribeConfirmation", topicArn: SECOND_TOPIC_ARN, messageId: message.MessageId });
    expect(await pageHits(subscribeUrl)).toBe(0);
  });
});

describe("POST /api/ingest/sns: certificates are cached per isolate", () => {
  it("two messages signed with one certificate download it once", async () => {
    const subscribeUrl = await servePage("<ConfirmSubscriptionResponse/>");
    for (let i = 0; i < 2; i++) {
      const res = await post(await sign(confirmation(certUrl, subscribeUrl), signer, i === 0 ? "1" : "2"));
      expect(res.status).toBe(200);
    }
    expect(await pageHits(subscribeUrl)).toBe(2);
    expect(await pageHits(certUrl)).toBe(1);
  });
});

describe("the certificate cache (one per isolate, built by the composition root)", () => {
  it("downloads a certificate again once its TTL has passed", async () => {
    let now = new Date("2026-12-04T10:00:00Z");
    const cache = createCertificateCache({ now: () => now, ttlSeconds: 3600 });
    const url = new URL(certUrl);
    await cache.get(url);
    now = new Date("2026-12-04T10:59:59Z");
    await cache.get(url);
    expect(await pageHits(certUrl)).toBe(1);
    now = new Date("2026-12-04T11:00:01Z");
    await cache.get(url);
    expect(await pageHits(certUrl)).toBe(2);
    expect(cache.downloads).toBe(2);
  });

  it("keeps at most maxEntries certificates, dropping the least recently used", async () => {
    const cache = createCertificateCache({ now: () => new Date(), maxEntries: 2 });
    const [a, b, c] = [certUrl, await servePage(signer.pem), await servePage(signer.pem)].map((u) => new URL(u));
    await cache.get(a!);
    await cache.get(b!);
    await cache.get(a!); // a is now the most recently used
    await cache.get(c!); // evicts b
    await cache.get(a!);
    await cache.get(b!);
    expect([await pageHits(a!.href), await pageHits(b!.href), await pageHits(c!.href)]).toEqual([1, 2, 1]);
  });

  it("concurrent messages signed with one certificate share one download", async () => {
    const cache = createCertificateCache({ now: () => new Date() });
    await Promise.all(Array.from({ length: 5 }, () => cache.get(new URL(certUrl))));
    expect(await pageHits(certUrl)).toBe(1);
  });
});

describe("POST /api/ingest/sns with an empty SNS_TOPIC_ARNS", () => {
  it("refuses every message with a problem that names the variable, and fetches nothing", async () => {
    const subscribeUrl = await servePage("<ConfirmSubscriptionResponse/>");
    for (const message of [await sign(notification(certUrl, created), signer), await sign(confirmation(certUrl, subscribeUrl), signer)]) {
      const res = await callDrained("/api/ingest/sns", { method: "POST", key: null, rawBody: JSON.stringify(message), contentType: "text/plain; charset=UTF-8", env: { ...env, SNS_TOPIC_ARNS: "" } });
      const problem = await expectProblem(res, 403, "sns-topic-not-allowed");
      expect(problem.detail).toMatch(/^This deployment accepts no SNS messages: SNS_TOPIC_ARNS is empty/);
    }
    expect([await pageHits(certUrl), await pageHits(subscribeUrl)]).toEqual([0, 0]);
    await expectNothingRecorded();
  });
});

describe("POST /api/ingest/sns: a body that is not an SNS message → 400 or 415", () => {
  it("not JSON → 400 malformed-json", async () => {
    await expectProblem(await post("Type=Notification"), 400, "malformed-json");
  });

  it("JSON without the signed fields → 400 validation naming them", async () => {
    const problem = await expectProblem(await post({ Type: "Notification", Message: "{}" }), 400, "validation");
    expect(problem.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(["MessageId", "TopicArn", "Timestamp", "Signature", "SigningCertURL"]));
  });

  it("an unknown Type → 400", async () => {
    const signed = await sign(notification(certUrl, created, { Type: "Advertisement" }), signer);
    await expectProblem(await post(signed), 400, "validation");
  });

  it("an S3 notification posted as is (raw message delivery on) → 400 that says so", async () => {
    const problem = await expectProblem(await post(created), 400, "validation");
    expect(problem.detail).toMatch(/turn raw message delivery off/);
  });

  it("application/json is accepted as well as text/plain; another media type → 415", async () => {
    const signed = await sign(notification(certUrl, created), signer);
    await expectProblem(await post({ ...signed, Subject: "x" }, "application/json"), 403, "sns-signature-invalid");
    await expectProblem(await post(signed, "application/x-www-form-urlencoded"), 415, "unsupported-media-type");
  });
});
