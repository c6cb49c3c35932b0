// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API
// before it is first imported (the library's README, "Reflect Polyfill Required"): this module
// is the only one that imports it, right after the polyfill.
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import { SNS_SIGNATURE_HASHES, type SnsSignatureVersion } from "../../domain/sns-message";

/** A signing certificate reduced to what verifying a message needs. */
export interface SigningCertificate {
  notBefore: Date;
  notAfter: Date;
  /** The RSA public key, imported once per signature version (each fixes its hash). */
  verifyingKey(version: SnsSignatureVersion): Promise<CryptoKey>;
}

export class CertificateFormatError extends Error {
  override name = "CertificateFormatError";
}

/**
 * Parses a PEM (or DER) certificate with @peculiar/x509 and imports its public key with
 * WebCrypto as an RSASSA-PKCS1-v1_5 verifying key. Throws CertificateFormatError when the body
 * is not a certificate or its key is not RSA.
 */
export function parseSigningCertificate(body: string): SigningCertificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(body);
  } catch (error) {
    throw new CertificateFormatError(`not an X.509 certificate (${error instanceof Error ? error.message.slice(0, 100) : "parse error"})`);
  }
  const spki = certificate.publicKey.rawData;
  const keys = new Map<SnsSignatureVersion, Promise<CryptoKey>>();
  return {
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    verifyingKey(version) {
      let key = keys.get(version);
      if (!key) {
        key = crypto.subtle
          .importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash: SNS_SIGNATURE_HASHES[version] }, false, ["verify"])
          .catch((error: unknown) => {
            keys.delete(version);
            throw new CertificateFormatError(`its public key is not an RSA key (${error instanceof Error ? error.message.slice(0, 100) : "import failed"})`);
          });
        keys.set(version, key);
      }
      return key;
    },
  };
}
