import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AuthFailure } from "../../services/auth/authenticator";
import { hasScope, type Scope } from "../../domain/scopes";
import { AppError } from "../../errors";
import type { AppEnv } from "../env";
import { enforceLimit } from "./rate-limit";

const FAILURES: Record<AuthFailure, string> = {
  missing: "Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`",
  malformed: "The API key is not a valid Game DB key",
  unknown: "The API key is not recognised",
  // Word for word the unknown key's: a 401 must not tell a key's holder that it once worked.
  revoked: "The API key is not recognised",
};

/** `Authorization: Bearer <key>` wins over `X-API-Key`; any other scheme counts as no key. */
function presentedKey(c: Context<AppEnv>): string | undefined {
  const authorization = c.req.header("Authorization");
  const bearer = authorization?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i)?.[1];
  return bearer ?? c.req.header("X-API-Key")?.trim() ?? undefined;
}

/**
 * Resolves the caller's API key into a principal. Callers without a valid key are counted
 * against the per-IP limit, and so is any key that must be looked up in the database, so that
 * guessing keys cannot turn into unbounded D1 queries.
 */
export const authenticateApiKey = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const { deps } = c.env;
    const limitClientIp = () =>
      enforceLimit(c, "per-ip", deps.rateLimiters.anonymous, deps.config.rateLimits.anonymous, c.env.clientIp);
    const result = await deps.authenticator.authenticate(presentedKey(c), {
      defer: (p) => c.env.defer(p),
      beforeLookup: limitClientIp,
    });
    if (!result.ok) {
      if (result.reason === "missing" || result.reason === "malformed") await limitClientIp();
      // Operators may learn what the caller must not: a revoked key still in use (a leak, or a
      // client nobody updated).
      if (result.reason === "revoked") deps.log.warn("revoked API key used", { requestId: c.get("requestId"), keyId: result.keyId });
      throw new AppError("unauthorized", FAILURES[result.reason], {
        headers: { "WWW-Authenticate": 'Bearer realm="game-db"' },
      });
    }
    c.set("principal", result.principal);
    await next();
  });

export const requireScope = (scope: Scope) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get("principal");
    if (!principal) throw new AppError("unauthorized", FAILURES.missing);
    if (!hasScope(principal, scope)) {
      throw new AppError("forbidden", `This route needs the "${scope}" scope; the key has: ${principal.scopes.join(", ")}`, {
        extensions: { requiredScope: scope, grantedScopes: principal.scopes },
      });
    }
    await next();
  });
