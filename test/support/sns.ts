// Amazon SNS as the tests play it, on any runtime (workerd or Node): a certificate authority and
// signing certificates generated here with @peculiar/x509 and WebCrypto, served from the ingest
// harness on loopback (its pages: test/harness/ingest-harness.ts), and messages signed the way
// SNS signs them. The string to sign is written out here from AWS's
// documentation ("Verifying the signatures of Amazon SNS messages"), not taken from the product,
// so that a mistake in the product's order of fields fails the tests.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export const TEST_TOPIC_ARN = "arn:aws:sns:eu-test-1:123456789012:test-rankings-uploads";
/** Also in the test configuration's SNS_TOPIC_ARNS. */
export const SECOND_TOPIC_ARN = "arn:aws:sns:eu-test-1:123456789012:second-topic";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY_MS = 86_400_000;

export interface Signer {
  /** The signing certificate, PEM, issued by the test CA. */
  pem: string;
  privateKey: CryptoKey;
}

let ca: Promise<{ name: string; keys: CryptoKeyPair }> | undefined;
/** One CA per test file (key generation is the slow part). */
function testCa() {
  ca ??= (async () => {
    const keys = (await crypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
    const name = "CN=Game DB Test Root CA";
    await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 365 * DAY_MS),
      signingAlgorithm: RSA,
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    return { name, keys };
  })();
  return ca;
}

/** A signing certificate issued by the test CA, valid from `notBefore` to `notAfter` (default: yesterday to next year). */
export async function createSigner(validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<Signer> {
  const issuer = await testCa();
  const keys = (await crypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: crypto.randomUUID().replaceAll("-", "").slice(0, 16),
    subject: "CN=sns.eu-test-1.amazonaws.com",
    issuer: issuer.name,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY_MS),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: RSA,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
  });
  return { pem: certificate.toString("pem"), privateKey: keys.privateKey };
}

/** Serves `body` on the harness at `harnessUrl` at a fresh path (status `status`) and returns its URL. */
export async function servePage(harnessUrl: string, body: string, status = 200): Promise<string> {
  const url = `${harnessUrl}/__harness/pages/${crypto.randomUUID()}.pem`;
  const res = await fetch(`${url}?status=${status}`, { method: "PUT", body });
  if (!res.ok) throw new Error(`harness pages: ${res.status}`);
  return url;
}

/** How many times the page at `url` (on its harness) was fetched. */
export async function pageHits(url: string): Promise<number> {
  const { origin, pathname } = new URL(url);
  const hits = (await (await fetch(`${origin}/__harness/page-hits`)).json()) as Record<string, number>;
  return hits[pathname] ?? 0;
}

export type Fields = Record<string, string | undefined>;

/** AWS's string to sign, field by field in AWS's order. */
function canonical(message: Fields): string {
  const order =
    message.Type === "Notification"
      ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  return order
    .filter((name) => typeof message[name] === "string")
    .map((name) => `${name}\n${message[name]}\n`)
    .join("");
}

function base64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Signs `message` as SNS would with SignatureVersion `version` (1: SHA1withRSA, 2: SHA256withRSA). */
export async function sign<T extends Fields>(message: T, signer: Signer, version: "1" | "2" = "2"): Promise<T & { SignatureVersion: string; Signature: string }> {
  const key = await crypto.subtle.importKey(
    "pkcs8",
    await crypto.subtle.exportKey("pkcs8", signer.privateKey),
    { name: "RSASSA-PKCS1-v1_5", hash: version === "1" ? "SHA-1" : "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(canonical(message)));
  return { ...message, SignatureVersion: version, Signature: base64(signature) };
}

/** An unsigned Notification from the test topic carrying `message`, published now, certificate at `certUrl`. */
export function notification(certUrl: string, message: unknown, overrides: Fields = {}): Fields {
  const id = crypto.randomUUID();
  return {
    Type: "Notification",
    MessageId: id,
    TopicArn: TEST_TOPIC_ARN,
    Subject: "Amazon S3 Notification",
    Message: typeof message === "string" ? message : JSON.stringify(message),
    Timestamp: new Date().toISOString(),
    SigningCertURL: certUrl,
    UnsubscribeURL: `https://sns.eu-test-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TEST_TOPIC_ARN}:${id}`,
    ...overrides,
  };
}

/** An unsigned SubscriptionConfirmation (or UnsubscribeConfirmation) for the test topic. */
export function confirmation(certUrl: string, subscribeUrl: string, overrides: Fields = {}): Fields {
  const token = "2336412f37fb687f5d51e6e241d638b05824e9e2f6713b42abaeb8607743f5ba91d34edd2b9dabe2f1616ed77c0f8801ee79911d34dca3d210c228af87bd5d9597bf0d6093a1464e03af6650e992ecf54605e020f04ad3d47796045c9f24d902e72e811a1ad59852cad453f40bddfb45";
  return {
    Type: "SubscriptionConfirmation",
    MessageId: crypto.randomUUID(),
    Token: token,
    TopicArn: TEST_TOPIC_ARN,
    Message: `You have chosen to subscribe to the topic ${TEST_TOPIC_ARN}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: subscribeUrl,
    Timestamp: new Date().toISOString(),
    SigningCertURL: certUrl,
    ...overrides,
  };
}
