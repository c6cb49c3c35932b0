import type { SnsConfig } from "../../config";

const LOOPBACK_HOSTNAMES = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * A SigningCertURL or SubscribeURL as a URL this Worker may fetch, or the reason it may not:
 * https (http only to a loopback host where the configuration allows it: development and
 * test), no credentials, and a `host` — hostname and any port — that the trusted pattern
 * matches as a whole (config.ts: `sns.<region>.amazonaws.com` unless a test overrides it).
 * Fetching anything else would let a forged message pick the key its own signature is checked
 * with, or make this Worker call any URL it names.
 */
export function trustedSnsUrl(raw: string, rules: Pick<SnsConfig, "trustedHost" | "allowLoopbackHttp">): URL | { untrusted: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { untrusted: "is not a URL" };
  }
  const loopbackHttp = rules.allowLoopbackHttp && url.protocol === "http:" && LOOPBACK_HOSTNAMES.test(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) return { untrusted: "is not an https URL" };
  if (url.username || url.password) return { untrusted: "carries credentials" };
  if (!rules.trustedHost.test(url.host)) return { untrusted: `is on ${url.host.slice(0, 100)}, not an Amazon SNS host (sns.<region>.amazonaws.com)` };
  return url;
}
