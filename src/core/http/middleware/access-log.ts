import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/** One structured line and one data point per request. Never headers or bodies, so no key material. */
export const accessLog = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const principal = c.get("principal");
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    // Where D1 ran the request's latest query that said so (read replication; absent locally).
    const served = c.env.deps.session?.servedBy();
    c.env.deps.log.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status: c.res.status,
      durationMs,
      keyId: principal?.keyId ?? null,
      cache: c.get("cacheStatus") ?? null,
      ...(served?.region !== undefined ? { servedByRegion: served.region } : {}),
      ...(served?.primary !== undefined ? { servedByPrimary: served.primary } : {}),
    });
    // The same facts as a data point, at every log level; the path stays out (ids, search terms).
    c.env.deps.metrics.record({
      type: "request",
      route: c.req.routePath,
      method: c.req.method,
      status: c.res.status,
      cache: c.get("cacheStatus") ?? null,
      durationMs,
      keyId: principal ? String(principal.keyId) : null,
    });
  });
