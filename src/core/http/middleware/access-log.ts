import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/** One structured line per request. Never logs headers or bodies, so no key material. */
export const accessLog = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const principal = c.get("principal");
    // Where D1 ran the request's latest query that said so (read replication; absent locally).
    const served = c.env.deps.session?.servedBy();
    c.env.deps.log.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      keyId: principal?.keyId ?? null,
      cache: c.get("cacheStatus") ?? null,
      ...(served?.region !== undefined ? { servedByRegion: served.region } : {}),
      ...(served?.primary !== undefined ? { servedByPrimary: served.primary } : {}),
    });
  });
