import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { SNS_MAX_CLOCK_SKEW_SECONDS, SNS_MAX_MESSAGE_AGE_SECONDS, SnsMessageSchema } from "../../domain/sns-message";
import { AppError } from "../../errors";
import { snsService } from "../../services/ingest-sns";
import type { AppEnv } from "../env";
import { validationError } from "../problem";
import { WRITE_HEADERS } from "../schemas/headers";
import { NO_QUERY } from "../schemas/params";
import { errorResponses } from "../schemas/problem";
import { S3EventsAcceptedSchema } from "../schemas/s3-events";
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
    body: { required: true, content: { "text/plain": { schema: SnsMessageSchema } } },
  },
  responses: {
    200: { description: "Subscription confirmed, or its end acknowledged", headers: WRITE_HEADERS, content: json(SnsAcknowledgementSchema) },
    202: { description: "Notification accepted: its objects are recorded and enqueued", headers: WRITE_HEADERS, content: json(S3EventsAcceptedSchema) },
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
