import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/** One structured line per request. Never logs headers or bodies, so no key material. */
export const accessLog = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const principal = c.get("principal");
    c.env.deps.log.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      keyId: principal?.keyId ?? null,
      cache: c.get("cacheStatus") ?? null,
    });
  });
