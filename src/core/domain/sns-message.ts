import { z } from "zod";

/**
 * What Amazon SNS posts to an HTTP(S) subscription, and the rules on it that need no network:
 * the string its signature covers and the window its Timestamp must fall in. Verifying the
 * signature itself (certificate, WebCrypto) is services/sns/.
 *
 * Field names, types and the signed fields are AWS's: "HTTP/HTTPS notification JSON format",
 * "HTTP/HTTPS subscription confirmation JSON format" and "Verifying the signatures of Amazon SNS
 * messages" in the Amazon SNS developer guide (https://docs.aws.amazon.com/sns/latest/dg/).
 */

/** SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA (both RSASSA-PKCS1-v1_5). */
export const SNS_SIGNATURE_HASHES = { "1": "SHA-1", "2": "SHA-256" } as const;
export type SnsSignatureVersion = keyof typeof SNS_SIGNATURE_HASHES;

/**
 * How old a message's Timestamp may be. SNS retries a failed HTTP(S) delivery for at most
 * 3,600 s (a hard limit of every delivery policy: "Amazon SNS message delivery retries"), and a
 * retry carries the original Timestamp and signature; 65 minutes accepts the last retry of the
 * longest policy plus delivery latency and clock skew, and refuses a captured message replayed
 * later.
 */
export const SNS_MAX_MESSAGE_AGE_SECONDS = 65 * 60;
/** How far in the future a Timestamp may be: clock skew between AWS and this runtime. */
export const SNS_MAX_CLOCK_SKEW_SECONDS = 5 * 60;

const text = z.string().min(1);
/** ISO-8601 UTC, as SNS writes it (e.g. `2012-04-26T20:45:04.751Z`). */
const timestamp = z.iso.datetime();

const signed = {
  MessageId: text,
  TopicArn: text,
  Message: z.string(),
  Timestamp: timestamp,
  SignatureVersion: z.enum(Object.keys(SNS_SIGNATURE_HASHES) as [SnsSignatureVersion, ...SnsSignatureVersion[]]),
  Signature: z.base64().min(1),
  SigningCertURL: text,
};

const confirmation = { ...signed, Token: text, SubscribeURL: text };

/**
 * One SNS message. Unknown fields are kept (SNS may add some; they are not signed), missing or
 * mistyped signed fields fail the parse: a message that cannot be verified is a 400.
 */
export const SnsMessageSchema = z.discriminatedUnion("Type", [
  z.looseObject({ Type: z.literal("Notification"), ...signed, Subject: z.string().nullish(), UnsubscribeURL: text.optional() }),
  z.looseObject({ Type: z.literal("SubscriptionConfirmation"), ...confirmation }),
  z.looseObject({ Type: z.literal("UnsubscribeConfirmation"), ...confirmation }),
]);
export type SnsMessage = z.infer<typeof SnsMessageSchema>;

/**
 * The string the message's Signature covers: `Name\nValue\n` for each signed field, in AWS's
 * order. A Notification signs Subject only when it has one.
 */
export function stringToSign(message: SnsMessage): string {
  const fields: [string, string][] =
    message.Type === "Notification"
      ? [
          ["Message", message.Message],
          ["MessageId", message.MessageId],
          ...(typeof message.Subject === "string" ? [["Subject", message.Subject] as [string, string]] : []),
          ["Timestamp", message.Timestamp],
          ["TopicArn", message.TopicArn],
          ["Type", message.Type],
        ]
      : [
          ["Message", message.Message],
          ["MessageId", message.MessageId],
          ["SubscribeURL", message.SubscribeURL],
          ["Timestamp", message.Timestamp],
          ["Token", message.Token],
          ["TopicArn", message.TopicArn],
          ["Type", message.Type],
        ];
  return fields.map(([name, value]) => `${name}\n${value}\n`).join("");
}

/** Why a message's Timestamp is outside the window at `now`, or undefined when it is inside. */
export function timestampProblem(message: Pick<SnsMessage, "Timestamp">, now: Date): string | undefined {
  const ageSeconds = (now.getTime() - Date.parse(message.Timestamp)) / 1000;
  if (ageSeconds > SNS_MAX_MESSAGE_AGE_SECONDS) {
    return `The message was published at ${message.Timestamp}, more than ${SNS_MAX_MESSAGE_AGE_SECONDS / 60} minutes ago (SNS stops retrying after an hour): refused as a replay`;
  }
  if (-ageSeconds > SNS_MAX_CLOCK_SKEW_SECONDS) {
    return `The message's Timestamp ${message.Timestamp} is more than ${SNS_MAX_CLOCK_SKEW_SECONDS / 60} minutes in the future`;
  }
  return undefined;
}
