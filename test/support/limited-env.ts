import type { AppDeps } from "../../src/core/http/env";
import { depsFor } from "../../src/platform/cloudflare/deps";
import { currentBudget, InvocationBudget } from "./invocation";
import { KvFaults } from "./kv-faults";
import { AdvanceableClock, KvWriteRate } from "./kv-write-rate";
import { DataPointLog, limitedAnalyticsEngine } from "./limited-analytics-engine";
import { limitedD1 } from "./limited-d1";
import { limitedKv } from "./limited-kv";

/**
 * KV's write-rate state for `env.CACHE`: production enforces it across invocations and isolates,
 * so it is module state here, shared by the Worker under test and the test code of one file
 * (storage and modules are both fresh per test file). `kvClock.advance(ms)` lets time pass for it.
 */
export const kvClock = new AdvanceableClock();
export const cacheWriteRate = new KvWriteRate(kvClock);
/** Failures to inject into `env.CACHE` (a KV outage); clear them after each test that sets some. */
export const cacheFaults = new KvFaults();

/**
 * The data points written to `env.METRICS` by the Worker and the services tests build (module
 * state like the above: one log per test file). Clear it in the tests that read it.
 */
export const metricsLog = new DataPointLog();

/** `env` with D1, KV and Analytics Engine behind the production limits, charging every query to `budget()`. */
export function limitedEnv(env: Env, budget: () => InvocationBudget): Env {
  return {
    ...env,
    DB: limitedD1(env.DB, budget),
    CACHE: limitedKv(env.CACHE, { budget, writeRate: cacheWriteRate, faults: cacheFaults }),
    METRICS: limitedAnalyticsEngine(env.METRICS, { budget, log: metricsLog }),
  };
}

const perIsolate = new WeakMap<Env, Env>();

/**
 * The limited `env` the Worker entry sees for a real `env`. One per real `env`, because the runtime
 * hands an isolate the same `env` for every invocation and the Worker builds its long-lived
 * services once per `env` (src/platform/cloudflare/deps.ts); the budget is the running
 * invocation's (invocation.ts).
 */
export function isolateEnv(env: Env): Env {
  let limited = perIsolate.get(env);
  if (!limited) {
    limited = limitedEnv(env, currentBudget);
    perIsolate.set(env, limited);
  }
  return limited;
}

/** The services the Worker under test built for this isolate (to look at its data version, say). */
export const isolateDeps = (env: Env): AppDeps => depsFor(isolateEnv(env));

/**
 * A limited `env` of its own, for test code that builds the Worker's services itself and calls the
 * core directly: a fresh isolate (fresh services) running one invocation (a fresh budget).
 */
export function freshInvocationEnv(env: Env): Env {
  const budget = new InvocationBudget();
  return limitedEnv(env, () => budget);
}
