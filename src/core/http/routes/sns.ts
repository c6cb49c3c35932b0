import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { SNS_MAX_CLOCK_SKEW_SECONDS, SNS_MAX_MESSAGE_AGE_SECONDS, SnsMessageSchema } from "../../domain/sns-message";
import { AppError } from "../../errors";
import { snsService } from "../../services/ingest-sns";
import type { AppEnv } from "../env";
import { validationError } from "../problem";
import { WRITE_HEADERS } from "../schemas/headers";
import { NO_QUERY } from "../schemas/params";
import { errorResponses } from "../schemas/problem";
import { S3_EVENTS_ACCEPTED_EXAMPLE, S3EventsAcceptedSchema } from "../schemas/s3-events";
import { json } from "./api-route";

/** Public: authenticated by the SNS signature, not an API key (http/app.ts skips the key for it). */
export const SNS_PATH = "/api/ingest/sns";

const SnsAcknowledgementSchema = z
  .object({
    type: z.enum(["SubscriptionConfirmation", "UnsubscribeConfirmation"]),
    topicArn: z.string(),
    messageId: z.string(),
  })
  .openapi("SnsAcknowledgement");

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:game-db-rankings";

/** A Notification as SNS posts it (the fields AWS documents; signature shortened). */
const NOTIFICATION_EXAMPLE: z.infer<typeof SnsMessageSchema> = {
  Type: "Notification",
  MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  TopicArn: TOPIC_ARN,
  Subject: "Amazon S3 Notification",
  Message: JSON.stringify({
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "eu-west-1",
        eventTime: "2021-12-09T03:05:00.000Z",
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: "game-db-rankings", arn: "arn:aws:s3:::game-db-rankings" },
          object: { key: "daily/2021-12-09/ios.top100.json", size: 48213, eTag: "9b2cf535f27731c974343645a3985328", sequencer: "0061B1F1A4C5D2E7F8" },
        },
      },
    ],
  }),
  Timestamp: "2021-12-09T03:05:00.512Z",
  SignatureVersion: "2",
  Signature: "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
  SigningCertURL: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
  UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:c9135db0-26c4-47ec-8998-413945fb5a96`,
};

const receiveRoute = createRoute({
  method: "post",
  path: SNS_PATH,
  operationId: "receiveSnsMessage",
  tags: ["Ingestion"],
  summary: "Receive an Amazon SNS message (S3 notifications)",
  description:
    "The HTTPS endpoint of an SNS subscription to the topic the bucket's S3 event notifications go to (docs/RUNBOOK.md). No API key: " +
    "every message must carry a valid SNS signature (SignatureVersion 1 or 2) whose certificate is served over https by " +
    "`sns.<region>.amazonaws.com`, come from a topic listed in `SNS_TOPIC_ARNS`, and have a Timestamp at most " +
    `${SNS_MAX_MESSAGE_AGE_SECONDS / 60} minutes old (SNS retries for at most an hour) and at most ${SNS_MAX_CLOCK_SKEW_SECONDS / 60} minutes ahead. ` +
    "A SubscriptionConfirmation is confirmed by fetching its SubscribeURL (200); an UnsubscribeConfirmation is logged (200); a " +
    "Notification's `Message` is an S3 event notification document, whose objects are recorded and enqueued like `POST /api/ingest/events` " +
    "does (202). SNS sends the JSON as `text/plain`; `application/json` is accepted too. A refused message enqueues nothing.",
  security: [],
  request: {
    query: NO_QUERY,
    body: { required: true, content: { "text/plain": { schema: SnsMessageSchema, example: NOTIFICATION_EXAMPLE } } },
  },
  responses: {
    200: { description: "Subscription confirmed, or its end acknowledged", headers: WRITE_HEADERS, content: json(SnsAcknowledgementSchema, { type: "SubscriptionConfirmation", topicArn: TOPIC_ARN, messageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b" }) },
    202: { description: "Notification accepted: its objects are recorded and enqueued", headers: WRITE_HEADERS, content: json(S3EventsAcceptedSchema, S3_EVENTS_ACCEPTED_EXAMPLE) },
    ...errorResponses(
      "validation",
      "malformed-json",
      "payload-too-large",
      "unsupported-media-type",
      "sns-signature-invalid",
      "sns-message-expired",
      "sns-untrusted-url",
      "sns-topic-not-allowed",
      "bad-gateway",
      "service-unavailable",
    ),
  },
});

/** What a body that parses as JSON but is no SNS message most likely is, for the 400's detail. */
function notAnSnsMessage(body: unknown): AppError | undefined {
  if (typeof body === "object" && body !== null && "Records" in body) {
    return new AppError(
      "validation",
      "This is an S3 event notification, not an SNS message: turn raw message delivery off on the subscription (docs/RUNBOOK.md), or post it to /api/ingest/events",
    );
  }
  return undefined;
}

export const snsRoutes = new OpenAPIHono<AppEnv>().openapi(receiveRoute, async (c) => {
  // The body guard parsed it already (http/app.ts), whatever its media type; Hono caches it.
  const body: unknown = await c.req.json();
  const parsed = SnsMessageSchema.safeParse(body);
  if (!parsed.success) throw notAnSnsMessage(body) ?? validationError(parsed.error, "json");
  const receipt = await snsService(c.env.deps).receive(parsed.data);
  return receipt.status === 200 ? c.json(receipt.body, 200) : c.json(receipt.body, 202);
});
