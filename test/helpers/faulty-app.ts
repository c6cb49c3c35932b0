import { env } from "cloudflare:test";
import { createAuthenticator, type AuthenticatorDeps } from "../../src/core/services/auth/authenticator";
import { createApp } from "../../src/core/http/app";
import type { AppDeps } from "../../src/core/http/env";
import type { RateLimiter } from "../../src/core/ports";
import { createDataVersion } from "../../src/core/data/data-version";
import { depsFor } from "../../src/platform/cloudflare/deps";
import { freshInvocationEnv } from "../support/limited-env";
import { ORIGIN } from "./api";
import { faultyKvStore } from "../support/kv-faults";
import { recordingLogger } from "./recording-logger";

export interface FaultyAppOptions {
  /** Replaces the per-IP limiter. */
  anonymous?: RateLimiter;
  /** Passed to the authenticator (e.g. a `sleep` that does not wait). */
  authenticator?: Partial<AuthenticatorDeps>;
}

/**
 * The app over the Worker's real services (behind production's limits, test/support/limited-env.ts),
 * except a KV behind a fault injector, a fresh authenticator and data version over it (an isolate
 * with empty memory), and a logger that records its lines.
 * `fetch` waits for the work a request deferred, as `waitUntil` would.
 */
export function appWithFaultyKv(options: FaultyAppOptions = {}) {
  const base = depsFor(freshInvocationEnv(env));
  const faulty = faultyKvStore(base.kv);
  const { log, lines } = recordingLogger();
  const deps: AppDeps = {
    ...base,
    kv: faulty.kv,
    dataVersion: createDataVersion(faulty.kv, log),
    log,
    authenticator: createAuthenticator({ db: base.db, kv: faulty.kv, log, adminApiKey: base.config.adminApiKey, now: base.now, ...options.authenticator }),
    rateLimiters: { ...base.rateLimiters, anonymous: options.anonymous ?? base.rateLimiters.anonymous },
  };
  const app = createApp();
  const deferred: Promise<unknown>[] = [];
  const fetch = async (path: string, key: string, init: { method?: string } = {}) => {
    const request = new Request(`${ORIGIN}${path}`, { method: init.method ?? "GET", headers: { Authorization: `Bearer ${key}` } });
    const res = await app.fetch(request, { deps, defer: (p) => void deferred.push(p), clientIp: "192.0.2.7" });
    await Promise.all(deferred.splice(0));
    return res;
  };
  return { fetch, faults: faulty.faults, record: faulty.record, lines };
}
