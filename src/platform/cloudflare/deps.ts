import { parseConfig } from "../../core/config";
import { createDeps } from "../../core/compose/deps";
import type { AppDeps } from "../../core/http/env";
import { createDatabase, createSessions } from "./database";
import { createKvStore } from "./kv-store";
import { createMetrics } from "./metrics";
import { createMessageQueue } from "./queue";
import { createRateLimiter } from "./rate-limiter";

const built = new WeakMap<Env, AppDeps>();

/**
 * The core's services from the Worker's bindings (src/core/compose/deps.ts), built once per `env`
 * object: the runtime hands an isolate the same `env` for every invocation, so they — and the
 * caches they hold — live as long as the isolate. Throws ConfigError when a variable is invalid.
 */
export function depsFor(env: Env): AppDeps {
  let deps = built.get(env);
  if (!deps) {
    deps = createDeps(parseConfig(env as unknown as Record<string, unknown>), {
      db: createDatabase(env.DB),
      sessions: createSessions(env.DB),
      kv: createKvStore(env.CACHE),
      ingestQueue: createMessageQueue(env.INGEST_QUEUE),
      metrics: createMetrics(env.METRICS),
      rateLimiter: (policy, now) => createRateLimiter(policy.name === "per-key" ? env.RATE_LIMIT_KEY : env.RATE_LIMIT_ANON, policy, now),
    });
    built.set(env, deps);
  }
  return deps;
}
