// S3 event documents for the objects in the test bucket, in the shapes AWS sends: an EventBridge
// "Object Created" event and an S3 event notification (Records[]), built from AWS's documented
// examples (the OpenAPI document's, src/core/http/schemas/s3-events.ts) — keys form-URL-encoded,
// ETags bare.
import { env } from "cloudflare:test";
import { S3_EVENT_EXAMPLES } from "../../src/core/http/schemas/s3-events";
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

/** One record of an S3 event notification: AWS's documented example (the OpenAPI example), for this object. */
export function s3Record(o: EventFields) {
  const record = structuredClone(S3_EVENT_EXAMPLES.s3Notification.value.Records[0]!);
  const bucket = o.bucket ?? env.S3_BUCKET;
  record.eventTime = o.time ?? new Date().toISOString();
  record.eventName = o.eventName ?? "ObjectCreated:Put";
  record.s3.bucket = { ...record.s3.bucket, name: bucket, arn: `arn:aws:s3:::${bucket}` };
  record.s3.object = { key: formEncode(o.key), size: o.size, eTag: o.etag, sequencer: o.sequencer ?? "0A1B2C3D4E5F678901" };
  return record;
}

export const s3Notification = (...records: EventFields[]) => ({ Records: records.map(s3Record) });

/** An EventBridge "Object Created" event, as an API destination posts it: AWS's documented example, for this object. */
export function eventBridgeEvent(o: EventFields & { detailType?: string }) {
  const event = structuredClone(S3_EVENT_EXAMPLES.eventBridge.value);
  const bucket = o.bucket ?? env.S3_BUCKET;
  event.id = crypto.randomUUID();
  event["detail-type"] = o.detailType ?? "Object Created";
  event.time = (o.time ?? new Date().toISOString()).replace(/\.\d{3}Z$/, "Z");
  event.resources = [`arn:aws:s3:::${bucket}`];
  event.detail.bucket = { name: bucket };
  event.detail.object = { ...event.detail.object, key: formEncode(o.key), size: o.size, etag: o.etag, sequencer: o.sequencer ?? "617f08299329d189" };
  return event;
}

/** The event S3 would send for `key` as it is in the bucket now. */
export async function createdEvent(key: string, extra: Partial<EventFields> = {}): Promise<EventFields> {
  return { key, ...(await headObject(key)), ...extra };
}
