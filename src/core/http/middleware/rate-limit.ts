import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../errors";
import type { RateLimiter } from "../../ports";
import type { AppEnv } from "../env";

export type PolicyName = "per-key" | "per-ip";

/**
 * Requests counted in this isolate per policy, key and window. The Workers rate limiter only
 * answers allowed/denied, so the `r` (remaining) it reports is this isolate's view: an upper
 * bound on what is really left, exact only when one isolate serves the key.
 */
const seen = new Map<string, { window: number; count: number }>();
const SEEN_MAX_ENTRIES = 10_000;

function localCount(id: string, window: number): number {
  const entry = seen.get(id);
  if (entry && entry.window === window) return ++entry.count;
  if (!entry && seen.size >= SEEN_MAX_ENTRIES) seen.delete(seen.keys().next().value!);
  seen.set(id, { window, count: 1 });
  return 1;
}

/**
 * Counts one request against `key` under `policy`, sets the RateLimit / RateLimit-Policy headers
 * (draft-ietf-httpapi-ratelimit-headers, structured-field form) and throws 429 when refused.
 */
export async function enforceLimit(
  c: Context<AppEnv>,
  policy: PolicyName,
  limiter: RateLimiter,
  limit: number,
  key: string,
): Promise<void> {
  const period = c.env.deps.config.rateLimits.periodSeconds;
  const now = Date.now() / 1000;
  const outcome = await limiter.limit(`${policy}:${key}`);
  const count = localCount(`${policy}:${key}`, Math.floor(now / period));
  const reset = outcome.resetSeconds ?? Math.max(1, Math.ceil(period - (now % period)));
  const remaining = outcome.allowed ? (outcome.remaining ?? Math.max(0, limit - count)) : 0;
  const headers = {
    "RateLimit-Policy": `"${policy}";q=${limit};w=${period}`,
    RateLimit: `"${policy}";r=${remaining};t=${reset}`,
  };
  if (!outcome.allowed) {
    throw new AppError("rate-limited", `Rate limit of ${limit} requests per ${period} s exceeded; retry in ${reset} s`, {
      headers: { ...headers, "Retry-After": String(reset) },
    });
  }
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

/** Limits callers of routes without an API key by client IP. */
export const limitByClientIp = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimiters, config } = c.env.deps;
    await enforceLimit(c, "per-ip", rateLimiters.anonymous, config.rateLimits.anonymous, c.env.clientIp);
    await next();
  });

/** Limits authenticated callers per API key (runs after `authenticateApiKey`). */
export const limitByApiKey = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimiters, config } = c.env.deps;
    const principal = c.get("principal");
    if (!principal) throw new AppError("unauthorized", "An API key is required");
    await enforceLimit(c, "per-key", rateLimiters.perKey, config.rateLimits.perKey, String(principal.keyId));
    await next();
  });
