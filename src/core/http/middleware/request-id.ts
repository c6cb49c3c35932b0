import { createMiddleware } from "hono/factory";
import type { RequestIdEnv } from "../env";

/** Names the request for logs and clients: the platform's id when it has one, else a UUID. */
export const requestId = () =>
  createMiddleware<RequestIdEnv>(async (c, next) => {
    const id = c.env.requestId ?? crypto.randomUUID();
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  });
