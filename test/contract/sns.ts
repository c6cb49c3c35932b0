import { beforeAll, describe, expect, it } from "vitest";
import { apiClient } from "../support/client";
import { expectProblem } from "../support/problem";
import { confirmation, createSigner, notification, pageHits, sign, type Signer } from "../support/sns";
import { waitFor } from "../support/wait";
import type { IngestSource } from "./ingest";
import type { ContractTarget } from "./target";

/** The bucket behind the server, and the harness pages its SNS certificates are served from. */
export interface SnsSource extends Pick<IngestSource, "putObject" | "etagOf" | "bucket"> {
  /** Serves `body` on a host the server trusts for SNS (SNS_CERT_HOST_PATTERN) and returns its URL. */
  servePage(body: string, status?: number): Promise<string>;
}

/** The S3 event notification S3 publishes to SNS for one created object (only the fields ingestion reads, and a few more). */
const createdNotification = (bucket: string, key: string, object: { etag: string; size: number }) => ({
  Records: [
    {
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "eu-test-1",
      eventTime: new Date().toISOString(),
      eventName: "ObjectCreated:Put",
      s3: { s3SchemaVersion: "1.0", bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, "/"), size: object.size, eTag: object.etag, sequencer: "0055AED6DCD90281E5" } },
    },
  ],
});

interface File {
  key: string;
  status: string;
}

/**
 * POST /api/ingest/sns on every runtime: an SNS message signed with a certificate the test made,
 * served on loopback; a notification ingests its file, a tampered one records nothing, a
 * subscription confirmation fetches its SubscribeURL once. Expects a server whose SNS_TOPIC_ARNS
 * lists TEST_TOPIC_ARN (test/support/sns.ts).
 */
export function snsContract(target: ContractTarget, source: SnsSource, { timeoutMs = 30_000 } = {}) {
  const { call, callJson } = apiClient(target);
  const post = (message: unknown) => call("/api/ingest/sns", { method: "POST", key: null, rawBody: JSON.stringify(message), contentType: "text/plain; charset=UTF-8" });

  describe(`[${target.runtime}] S3 notifications through SNS (POST /api/ingest/sns)`, () => {
    let signer: Signer;
    let certUrl: string;

    beforeAll(async () => {
      signer = await createSigner();
      certUrl = await source.servePage(signer.pem);
    });

    it("a signed notification of an upload → 202, and the file is ingested; its tampered copy → 403 and is recorded nowhere", async () => {
      const key = `daily/2021-12-10/sns-${crypto.randomUUID().slice(0, 8)}.json`;
      const body = JSON.stringify([[{ os: "ios", app_id: 4242, name: "Through SNS" }]]);
      await source.putObject(key, body);
      const object = { etag: await source.etagOf(key), size: new TextEncoder().encode(body).length };
      const message = await sign(notification(certUrl, createdNotification(source.bucket, key, object)), signer);

      const tamperedKey = key.replace("sns-", "forged-");
      const forged = await post({ ...message, Message: JSON.stringify(createdNotification(source.bucket, tamperedKey, { etag: "0123456789abcdef0123456789abcdef", size: 1 })) });
      await expectProblem(forged, 403, "sns-signature-invalid");

      const res = await post(message);
      expect(res.status, await res.clone().text()).toBe(202);
      expect(await res.json()).toEqual({ runId: expect.any(Number), filesEnqueued: 1, ignored: 0 });
      await waitFor(
        async () => (await callJson<File[]>("/api/ingest/files?limit=50", 200)).body.find((f) => f.key === key),
        (file) => file?.status === "done",
        { timeoutMs, intervalMs: 100, what: "the file announced through SNS to be ingested" },
      );
      const files = (await callJson<File[]>("/api/ingest/files?limit=50", 200)).body;
      expect(files.filter((f) => f.key === tamperedKey)).toEqual([]);
      expect(await pageHits(certUrl)).toBe(1);
    });

    it("a SubscriptionConfirmation → 200 after one GET of its SubscribeURL", async () => {
      const subscribeUrl = await source.servePage("<ConfirmSubscriptionResponse/>");
      const message = await sign(confirmation(certUrl, subscribeUrl), signer, "1");
      const res = await post(message);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ type: "SubscriptionConfirmation", topicArn: message.TopicArn, messageId: message.MessageId });
      expect(await pageHits(subscribeUrl)).toBe(1);
    });

    it("a SigningCertURL off the trusted hosts → 403 sns-untrusted-url", async () => {
      const message = await sign(notification("https://sns.us-east-1.amazonaws.com.evil.test/cert.pem", { Records: [] }), signer);
      await expectProblem(await post(message), 403, "sns-untrusted-url");
    });
  });
}
