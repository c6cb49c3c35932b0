import type { SnsConfig } from "../../config";
import { type SnsMessage, stringToSign, timestampProblem } from "../../domain/sns-message";
import { AppError } from "../../errors";
import { CertificateFetchError, type CertificateCache } from "./certificate-cache";
import { trustedSnsUrl } from "./trusted-url";

export interface SnsVerifierDeps {
  sns: SnsConfig;
  snsCertificates: CertificateCache;
  now: () => Date;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Throws unless `message` comes from an allowed topic, within the replay window, and is signed
 * by the key of a currently valid certificate served by an SNS host. The cheap checks come
 * first, so a message refused for its topic, age or certificate URL costs no download.
 */
export async function verifySnsMessage(message: SnsMessage, deps: SnsVerifierDeps): Promise<void> {
  const { topicArns } = deps.sns;
  if (topicArns.length === 0) {
    throw new AppError("sns-topic-not-allowed", "This deployment accepts no SNS messages: SNS_TOPIC_ARNS is empty (docs/RUNBOOK.md, \"S3 notifications through SNS\")");
  }
  if (!topicArns.includes(message.TopicArn)) {
    throw new AppError("sns-topic-not-allowed", `Topic ${message.TopicArn.slice(0, 300)} is not in SNS_TOPIC_ARNS`);
  }
  const now = deps.now();
  const stale = timestampProblem(message, now);
  if (stale) throw new AppError("sns-message-expired", stale);

  const certificateUrl = trustedSnsUrl(message.SigningCertURL, deps.sns);
  if (!(certificateUrl instanceof URL)) throw new AppError("sns-untrusted-url", `SigningCertURL ${certificateUrl.untrusted}`);
  let certificate;
  try {
    certificate = await deps.snsCertificates.get(certificateUrl);
  } catch (error) {
    if (error instanceof CertificateFetchError) {
      // SNS retries a delivery that fails on our side; the message itself may be fine.
      throw new AppError("bad-gateway", `The SNS signing certificate could not be obtained: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (now < certificate.notBefore || now > certificate.notAfter) {
    throw new AppError(
      "sns-signature-invalid",
      `The signing certificate is valid from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}, not now`,
    );
  }
  let key: CryptoKey;
  try {
    key = await certificate.verifyingKey(message.SignatureVersion);
  } catch (error) {
    throw new AppError("bad-gateway", `The SNS signing certificate is unusable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const signed = new TextEncoder().encode(stringToSign(message));
  const valid = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, base64Bytes(message.Signature), signed);
  if (!valid) {
    throw new AppError("sns-signature-invalid", `The Signature does not match the message (SignatureVersion ${message.SignatureVersion})`);
  }
}
