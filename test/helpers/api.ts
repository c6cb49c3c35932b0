// The API client (test/support/client.ts) bound to the Worker under test, for the Workers tests.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { apiClient, type CallOptions } from "../support/client";
import worker from "../support/limited-worker";

export const ORIGIN = "http://game-db.test";

/** One real HTTP request through `SELF` (the Worker's fetch handler, as the runtime calls it). */
export const { call, callJson, createKey, createGame, nextLink, walk } = apiClient({
  runtime: "workers",
  fetch: (request) => SELF.fetch(request),
  origin: ORIGIN,
  adminKey: env.ADMIN_API_KEY,
});

/**
 * Like `call`, but through the Worker's fetch handler with an execution context of the test's
 * own, waiting for everything the request deferred with `ctx.waitUntil` (cache fills, verdict
 * and last-used writes, data-version bumps) before returning, so a test can assert on their
 * effects without polling. `env` replaces the bindings and vars (e.g. `LOG_LEVEL: "info"`). Each
 * call comes from a client address of its own unless it names one.
 */
export function callDrained(path: string, options: CallOptions & { env?: Env } = {}): Promise<Response> {
  const workerEnv = options.env ?? env;
  const drained = apiClient({
    runtime: "workers",
    origin: ORIGIN,
    adminKey: env.ADMIN_API_KEY,
    // The document comes from the Worker as configured for the tests, even when `env` breaks this one.
    documentFetch: (request) => SELF.fetch(request),
    async fetch(request) {
      const ctx = createExecutionContext();
      const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, workerEnv, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
  });
  return drained.call(path, options);
}

/** A response read to the end: its status, headers and body text (empty when there is none). */
export interface Settled {
  status: number;
  headers: Headers;
  text: string;
}

/** `callDrained`, read to the end. */
export async function callSettled(path: string, options: CallOptions & { env?: Env } = {}): Promise<Settled> {
  const res = await callDrained(path, options);
  return { status: res.status, headers: res.headers, text: await res.text() };
}
