import { describeError } from "../../log";
import type { SigningCertificate } from "./certificate";

/** A certificate is a couple of KB; anything much larger is not one. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;

export interface CertificateCacheOptions {
  /** The clock entries expire by (the composition root's `now`). */
  now: () => Date;
  /** Certificates kept at once; the least recently used goes first. SNS signs with one or two at a time. */
  maxEntries?: number;
  /** How long a fetched certificate is reused before it is fetched again. */
  ttlSeconds?: number;
  /** Time allowed for one certificate download. */
  timeoutMs?: number;
}

/** The certificate could not be obtained (network, status, not a certificate): the sender may retry. */
export class CertificateFetchError extends Error {
  override name = "CertificateFetchError";
}

export interface CertificateCache {
  /** The certificate at `url` (a URL already checked by trustedSnsUrl), fetched at most once per TTL. */
  get(url: URL): Promise<SigningCertificate>;
  /** Downloads started by this cache so far (what a test counts). */
  readonly downloads: number;
}

async function download(url: URL, timeoutMs: number): Promise<SigningCertificate> {
  let response: Response;
  try {
    // Redirects are not followed: the host rule applies to the URL that serves the certificate.
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new CertificateFetchError(`downloading ${url.href} failed: ${describeError(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new CertificateFetchError(`downloading ${url.href} answered ${response.status}`);
  }
  const body = await response.text();
  if (body.length > MAX_CERTIFICATE_BYTES) throw new CertificateFetchError(`${url.href} is ${body.length} bytes, not a certificate`);
  // Loaded on first use: the X.509 library is most of the bundle's size, and an isolate that
  // never receives an SNS message need not evaluate it at startup.
  const { CertificateFormatError, parseSigningCertificate } = await import("./certificate");
  try {
    return parseSigningCertificate(body);
  } catch (error) {
    if (error instanceof CertificateFormatError) throw new CertificateFetchError(`${url.href}: ${error.message}`);
    throw error;
  }
}

/**
 * The signing certificates this isolate has fetched, by URL. Created by the composition root
 * (compose/deps.ts), so it lives as long as the isolate and a test's fresh deps start empty.
 * Bounded in size, each entry for `ttlSeconds`; concurrent messages signed with one certificate
 * share one download, and a failed download is not remembered (the next message tries again).
 */
export function createCertificateCache(options: CertificateCacheOptions): CertificateCache {
  const maxEntries = options.maxEntries ?? 16;
  const ttlMs = (options.ttlSeconds ?? 3600) * 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const entries = new Map<string, { expiresAt: number; certificate: Promise<SigningCertificate> }>();
  let downloads = 0;

  return {
    get downloads() {
      return downloads;
    },
    get(url) {
      const key = url.href;
      const now = options.now().getTime();
      const cached = entries.get(key);
      entries.delete(key);
      if (cached && cached.expiresAt > now) {
        entries.set(key, cached); // most recently used last
        return cached.certificate;
      }
      downloads++;
      const certificate = download(url, timeoutMs);
      const entry = { expiresAt: now + ttlMs, certificate };
      entries.set(key, entry);
      certificate.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return certificate;
    },
  };
}
