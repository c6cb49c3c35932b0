// S3 event documents for the objects in the test bucket, in the shapes AWS sends: an EventBridge
// "Object Created" event and an S3 event notification (Records[]), as documented in
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html and
// notification-content-structure.html — keys form-URL-encoded, ETags bare.
import { env } from "cloudflare:test";
import { harnessUrl } from "./ingest";

/** What S3 says about an object now: its ETag (bare) and size, read with a HEAD. */
export async function headObject(key: string): Promise<{ etag: string; size: number }> {
  const res = await fetch(`${harnessUrl}/${env.S3_BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`, { method: "HEAD" });
  if (!res.ok) throw new Error(`HEAD ${key}: ${res.status}`);
  return { etag: res.headers.get("ETag")!.replace(/"/g, ""), size: Number(res.headers.get("Content-Length")) };
}

/** A key as S3 writes it into an event: form-URL-encoded (`+` for a space, `%2B` for a plus). */
export const formEncode = (key: string) => encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");

export interface EventFields {
  key: string;
  etag: string;
  size: number;
  sequencer?: string;
  time?: string;
  bucket?: string;
  eventName?: string;
}

/** One record of an S3 event notification (version 2.1, as S3 sends to SNS, SQS, Lambda). */
export function s3Record(o: EventFields) {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: o.time ?? new Date().toISOString(),
    eventName: o.eventName ?? "ObjectCreated:Put",
    userIdentity: { principalId: "EXAMPLE" },
    requestParameters: { sourceIPAddress: "127.0.0.1" },
    responseElements: { "x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "testConfigRule",
      bucket: { name: o.bucket ?? env.S3_BUCKET, ownerIdentity: { principalId: "EXAMPLE" }, arn: `arn:aws:s3:::${o.bucket ?? env.S3_BUCKET}` },
      object: { key: formEncode(o.key), size: o.size, eTag: o.etag, sequencer: o.sequencer ?? "0A1B2C3D4E5F678901" },
    },
  };
}

export const s3Notification = (...records: EventFields[]) => ({ Records: records.map(s3Record) });

/** An EventBridge "Object Created" event, as an API destination posts it. */
export function eventBridgeEvent(o: EventFields & { detailType?: string }) {
  return {
    version: "0",
    id: crypto.randomUUID(),
    "detail-type": o.detailType ?? "Object Created",
    source: "aws.s3",
    account: "111122223333",
    time: (o.time ?? new Date().toISOString()).replace(/\.\d{3}Z$/, "Z"),
    region: "us-east-1",
    resources: [`arn:aws:s3:::${o.bucket ?? env.S3_BUCKET}`],
    detail: {
      version: "0",
      bucket: { name: o.bucket ?? env.S3_BUCKET },
      object: { key: formEncode(o.key), size: o.size, etag: o.etag, "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", sequencer: o.sequencer ?? "617f08299329d189" },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "123456789012",
      "source-ip-address": "1.2.3.4",
      reason: "PutObject",
    },
  };
}

/** The event S3 would send for `key` as it is in the bucket now. */
export async function createdEvent(key: string, extra: Partial<EventFields> = {}): Promise<EventFields> {
  return { key, ...(await headObject(key)), ...extra };
}
