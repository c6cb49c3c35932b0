import { z } from "zod";

/**
 * The documents S3 sends when an object changes, in the two shapes POST /api/ingest/events
 * accepts (and POST /api/ingest/sns unwraps from an SNS `Message`):
 *
 * - an **EventBridge** event (`source: "aws.s3"`), as an EventBridge API destination posts it —
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html;
 * - an **S3 event notification** (`Records[]`), as S3 sends it to SNS, SQS or Lambda, or the
 *   `s3:TestEvent` S3 sends once when a notification is configured —
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html.
 *
 * Only the fields ingestion reads are validated; every other field is allowed and ignored, so
 * that a new version of either document is not refused. What the fields mean for the ledger
 * (decoded keys, quoted ETags, sequencers) is in ingest/s3/event-objects.ts.
 */

/** Records per S3 event notification this API takes in one request (S3 itself sends one). */
export const MAX_EVENT_RECORDS = 500;

const bucketName = z.string().min(1).max(255);
/** As the document carries it: form-URL-encoded in S3 notifications, so up to 3 × 1,024 bytes. */
const encodedKey = z.string().min(1).max(3 * 1024);
const etag = z.string().min(1).max(200);
const size = z.number().int().nonnegative();
/** Hex; orders the events of one key (only of the same key). */
const sequencer = z.string().regex(/^[0-9A-Fa-f]{1,64}$/, "must be a hexadecimal string of at most 64 digits");
const time = z.iso.datetime({ offset: true });

const createdObjectFields = (object: { size?: number | undefined; etag?: string | undefined }, ctx: z.RefinementCtx, path: string[], etagField: string) => {
  if (object.size === undefined) ctx.addIssue({ code: "custom", path: [...path, "size"], message: "is required for a created object" });
  if (object.etag === undefined) ctx.addIssue({ code: "custom", path: [...path, etagField], message: "is required for a created object" });
};

/** `detail-type` of the EventBridge events that create an object. */
export const EVENTBRIDGE_OBJECT_CREATED = "Object Created";

// Loose objects: AWS's documents carry many fields this API does not read (and AWS adds more), so
// the schemas, and the OpenAPI document generated from them, allow any others and read only these.
export const EventBridgeS3EventSchema = z
  .looseObject({
    source: z.literal("aws.s3"),
    "detail-type": z.string().min(1).max(100),
    /** When the event occurred (second precision). */
    time,
    detail: z.looseObject({
      bucket: z.looseObject({ name: bucketName }),
      object: z.looseObject({ key: encodedKey, size: size.optional(), etag: etag.optional(), sequencer: sequencer.optional() }),
    }),
  })
  .superRefine((event, ctx) => {
    if (event["detail-type"] === EVENTBRIDGE_OBJECT_CREATED) createdObjectFields(event.detail.object, ctx, ["detail", "object"], "etag");
  });

export const S3EventRecordSchema = z
  .looseObject({
    eventSource: z.literal("aws:s3"),
    /** `ObjectCreated:Put`, `ObjectRemoved:Delete`, …; some S3-compatible stores prefix `s3:`. */
    eventName: z.string().min(1).max(100),
    /** When S3 finished processing the request (millisecond precision). */
    eventTime: time,
    s3: z.looseObject({
      bucket: z.looseObject({ name: bucketName }),
      object: z.looseObject({ key: encodedKey, size: size.optional(), eTag: etag.optional(), sequencer: sequencer.optional() }),
    }),
  })
  .superRefine((record, ctx) => {
    if (isObjectCreated(record.eventName)) createdObjectFields({ size: record.s3.object.size, etag: record.s3.object.eTag }, ctx, ["s3", "object"], "eTag");
  });

export const S3NotificationSchema = z.looseObject({ Records: z.array(S3EventRecordSchema).min(1).max(MAX_EVENT_RECORDS) });

/** What S3 sends once to check a new notification configuration. */
export const S3TestEventSchema = z.looseObject({
  Service: z.literal("Amazon S3"),
  Event: z.literal("s3:TestEvent"),
  Bucket: bucketName,
  Time: z.string().max(100).optional(),
});

export type EventBridgeS3Event = z.infer<typeof EventBridgeS3EventSchema>;
export type S3EventRecord = z.infer<typeof S3EventRecordSchema>;
export type S3Notification = z.infer<typeof S3NotificationSchema>;
export type S3TestEvent = z.infer<typeof S3TestEventSchema>;

export type S3EventDocument =
  | { kind: "eventbridge"; event: EventBridgeS3Event }
  | { kind: "notification"; notification: S3Notification }
  | { kind: "test"; event: S3TestEvent };

/** True for `ObjectCreated:*` (with or without the `s3:` prefix). */
export function isObjectCreated(eventName: string): boolean {
  return /^(?:s3:)?ObjectCreated:/.test(eventName);
}

/**
 * Which of the documents `body` is, told by its shape (so a malformed one is reported against
 * the schema it was meant to be, not as "matches none of three"), and its validation.
 */
export function parseS3EventDocument(body: unknown): { success: true; document: S3EventDocument } | { success: false; error: z.ZodError } {
  const shape = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  if ("Records" in shape) {
    const parsed = S3NotificationSchema.safeParse(body);
    return parsed.success ? { success: true, document: { kind: "notification", notification: parsed.data } } : parsed;
  }
  if ("Event" in shape && !("source" in shape)) {
    const parsed = S3TestEventSchema.safeParse(body);
    return parsed.success ? { success: true, document: { kind: "test", event: parsed.data } } : parsed;
  }
  if ("source" in shape || "detail-type" in shape || "detail" in shape) {
    const parsed = EventBridgeS3EventSchema.safeParse(body);
    return parsed.success ? { success: true, document: { kind: "eventbridge", event: parsed.data } } : parsed;
  }
  return {
    success: false,
    error: new z.ZodError([
      {
        code: "custom",
        path: [],
        message: "must be an EventBridge S3 event (source, detail-type, detail), an S3 event notification (Records) or an s3:TestEvent",
        input: body,
      },
    ]),
  };
}
