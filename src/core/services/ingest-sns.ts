import type { SnsMessage } from "../domain/sns-message";
import { AppError } from "../errors";
import { describeError } from "../log";
import type { ServiceDeps } from "./deps";
import { acceptS3Events, type S3EventsAccepted } from "./ingest-events";
import { verifySnsMessage } from "./sns/verify";
import { trustedSnsUrl } from "./sns/trusted-url";

/** Time allowed for the GET of a SubscribeURL (SNS waits 15 s for our answer). */
const CONFIRM_TIMEOUT_MS = 5000;

/** What a confirmation (or the end of a subscription) is answered with. */
export interface SnsAcknowledgement {
  type: "SubscriptionConfirmation" | "UnsubscribeConfirmation";
  topicArn: string;
  messageId: string;
}

export type SnsReceipt = { status: 200; body: SnsAcknowledgement } | { status: 202; body: S3EventsAccepted };

/** GETs a verified SubscriptionConfirmation's SubscribeURL, which makes SNS start delivering. */
async function confirmSubscription(message: SnsMessage & { SubscribeURL: string }, deps: ServiceDeps): Promise<void> {
  const url = trustedSnsUrl(message.SubscribeURL, deps.config.sns);
  if (!(url instanceof URL)) throw new AppError("sns-untrusted-url", `SubscribeURL ${url.untrusted}`);
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(CONFIRM_TIMEOUT_MS) });
  } catch (error) {
    throw new AppError("bad-gateway", `Confirming the subscription to ${message.TopicArn} failed: ${describeError(error)}`, { cause: error });
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new AppError("bad-gateway", `Confirming the subscription to ${message.TopicArn} failed: SNS answered ${response.status}`);
  }
}

/**
 * POST /api/ingest/sns: an SNS message, verified (services/sns/verify.ts) before anything else
 * happens. A SubscriptionConfirmation is confirmed by fetching its SubscribeURL; an
 * UnsubscribeConfirmation is logged; a Notification's Message is an S3 event notification
 * document, handed to the events code path (services/ingest-events.ts), which records and
 * enqueues its objects like a scan: a redelivered message finds its (key, ETag) in the ledger
 * and enqueues nothing.
 */
export function snsService(deps: ServiceDeps) {
  return {
    async receive(message: SnsMessage): Promise<SnsReceipt> {
      await verifySnsMessage(message, { sns: deps.config.sns, snsCertificates: deps.snsCertificates, now: deps.now });
      const fields = { topicArn: message.TopicArn, messageId: message.MessageId };
      switch (message.Type) {
        case "SubscriptionConfirmation":
          await confirmSubscription(message, deps);
          deps.log.info("sns subscription confirmed", fields);
          return { status: 200, body: { type: message.Type, ...fields } };
        case "UnsubscribeConfirmation":
          // Not re-subscribed: someone unsubscribed on purpose. Events stop; the daily scan goes on.
          deps.log.warn("sns subscription ended: S3 notifications from this topic no longer arrive", fields);
          return { status: 200, body: { type: message.Type, ...fields } };
        case "Notification": {
          let document: unknown;
          try {
            document = JSON.parse(message.Message);
          } catch {
            throw new AppError("malformed-json", "The SNS notification's Message is not JSON: an S3 event notification document was expected");
          }
          try {
            return { status: 202, body: await acceptS3Events(document, deps) };
          } catch (error) {
            if (error instanceof AppError && error.code === "validation") {
              // Authentic, from an allowed topic, yet no S3 document: say where the fields are.
              throw new AppError("validation", `The SNS notification's Message is not an S3 event document: ${error.detail}`, { errors: error.errors });
            }
            throw error;
          }
        }
      }
    },
  };
}
