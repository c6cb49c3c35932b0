import type { IngestDeps } from "../ingest/deps";
import type { Authenticator } from "./auth/authenticator";

/** What the services need, built once per isolate (or process) by the composition root (src/core/compose/deps.ts). */
export interface ServiceDeps extends IngestDeps {
  /** Verifies API keys; holds this isolate's (or process's) verdict memory. */
  authenticator: Authenticator;
}
