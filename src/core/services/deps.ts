import type { IngestDeps } from "../ingest/deps";
import type { Authenticator } from "./auth/authenticator";
import type { PageTotals } from "./page-totals";
import type { CertificateCache } from "./sns/certificate-cache";

/** What the services need, built once per isolate (or process) by the composition root (src/core/compose/deps.ts). */
export interface ServiceDeps extends IngestDeps {
  /** Verifies API keys; holds this isolate's (or process's) verdict memory. */
  authenticator: Authenticator;
  /** The totals this isolate has counted, per data version and filter. */
  pageTotals: PageTotals;
  /** The SNS signing certificates this isolate (or process) has fetched. */
  snsCertificates: CertificateCache;
}
