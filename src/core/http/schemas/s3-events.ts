import { z } from "@hono/zod-openapi";
import { EventBridgeS3EventSchema, S3NotificationSchema, S3TestEventSchema } from "../../domain/s3-events";

/**
 * POST /api/ingest/events: the request documents (validated in domain/s3-events.ts) and the
 * answer. The examples are AWS's documented ones — EventBridge's "Object created" event
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html), the S3 notification
 * of a PUT as Lambda's S3 test event has it, and the s3:TestEvent
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html) —
 * with the bucket and key of the local sample file, so they work against `npm run dev`.
 */

export const S3EventDocumentSchema = z
  .union([EventBridgeS3EventSchema.openapi("EventBridgeS3Event"), S3NotificationSchema.openapi("S3EventNotification"), S3TestEventSchema.openapi("S3TestEvent")])
  .openapi("S3EventDocument", {
    description:
      "An EventBridge S3 event (`source: aws.s3`) as an EventBridge API destination posts it, an S3 event notification (`Records[]`), or the `s3:TestEvent`. Only the fields shown are read; any others are allowed and ignored.",
  });

export const S3EventsAcceptedSchema = z
  .object({
    runId: z.number().int().nullable().openapi({ description: "The `event` run that recorded the files; null when the document announced none to ingest, or only versions already recorded (a duplicate delivery)", example: 31 }),
    filesEnqueued: z.number().int().openapi({ description: "Messages sent to the ingest queue (0 for a file version already recorded: a duplicate delivery)", example: 1 }),
    ignored: z
      .number()
      .int()
      .openapi({ description: "Records acknowledged without a file: s3:TestEvent, not ObjectCreated (e.g. ObjectRemoved), another bucket, outside S3_PREFIX, not a data file", example: 0 }),
  })
  .openapi("S3EventsAccepted");

const SAMPLE = { bucket: "game-db-rankings", key: "daily/2021-12-09/ios.top100.json" };

export const S3_EVENT_EXAMPLES = {
  eventBridge: {
    summary: "EventBridge: Object Created (as an API destination posts it)",
    value: {
      version: "0",
      id: "17793124-05d4-b198-2fde-7ededc63b103",
      "detail-type": "Object Created",
      source: "aws.s3",
      account: "111122223333",
      time: "2021-12-09T03:00:00Z",
      region: "ca-central-1",
      resources: [`arn:aws:s3:::${SAMPLE.bucket}`],
      detail: {
        version: "0",
        bucket: { name: SAMPLE.bucket },
        object: { key: SAMPLE.key, size: 5, etag: "b1946ac92492d2347c6235b4d2611184", "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", sequencer: "617f08299329d189" },
        "request-id": "N4N7GDK58NMKJ12R",
        requester: "123456789012",
        "source-ip-address": "1.2.3.4",
        reason: "PutObject",
      },
    },
  },
  s3Notification: {
    summary: "S3 event notification: ObjectCreated:Put (keys form-URL-encoded, ETag unquoted)",
    value: {
      Records: [
        {
          eventVersion: "2.1",
          eventSource: "aws:s3",
          awsRegion: "us-east-1",
          eventTime: "2021-12-09T03:00:00.000Z",
          eventName: "ObjectCreated:Put",
          userIdentity: { principalId: "EXAMPLE" },
          requestParameters: { sourceIPAddress: "127.0.0.1" },
          responseElements: { "x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH" },
          s3: {
            s3SchemaVersion: "1.0",
            configurationId: "testConfigRule",
            bucket: { name: SAMPLE.bucket, ownerIdentity: { principalId: "EXAMPLE" }, arn: `arn:aws:s3:::${SAMPLE.bucket}` },
            object: { key: SAMPLE.key, size: 1024, eTag: "0123456789abcdef0123456789abcdef", sequencer: "0A1B2C3D4E5F678901" },
          },
        },
      ],
    },
  },
  testEvent: {
    summary: "s3:TestEvent (sent once when a notification is configured): acknowledged",
    value: {
      Service: "Amazon S3",
      Event: "s3:TestEvent",
      Time: "2014-10-13T15:57:02.089Z",
      Bucket: SAMPLE.bucket,
      RequestId: "5582815E1AEA5ADF",
      HostId: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    },
  },
};

/** What an event for one new data file answers. */
export const S3_EVENTS_ACCEPTED_EXAMPLE: z.infer<typeof S3EventsAcceptedSchema> = { runId: 31, filesEnqueued: 1, ignored: 0 };
