import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../errors";
import type { RateLimiter } from "../../ports";
import type { AppEnv } from "../env";

export type PolicyName = "per-key" | "per-ip";

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
  const outcome = await limiter.limit(`${policy}:${key}`);
  const reset = outcome.resetSeconds;
  const remaining = outcome.allowed ? outcome.remaining : 0;
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
