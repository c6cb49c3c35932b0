import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import type { AppDeps, AppEnv } from "../../core/http/env";
import { join } from "node:path";
import { clientAddressFrom } from "./client-ip";
import { CONFIG_FILES, headersFor, isApiFirst, parseHeadersFile, type HeaderRule } from "./asset-routing";

export interface HandlerOptions {
  app: OpenAPIHono<AppEnv>;
  deps: AppDeps;
  publicDir: string;
  /** Lower-case header name carrying the client address, when behind a trusted proxy. */
  clientIpHeader: string | undefined;
  /** How many trusted proxies append to that header (the client is that many entries from the right). */
  trustedProxies: number;
  defer(promise: Promise<unknown>): void;
  /** When set, `GET /__scheduled` runs the cron job (like `wrangler dev --test-scheduled`). */
  scheduled?: () => Promise<void>;
}

/** Rules of public/_headers, which Workers applies to every static asset response. */
function readHeaderRules(publicDir: string): HeaderRule[] {
  try {
    return parseHeadersFile(Deno.readTextFileSync(join(publicDir, "_headers")));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The Deno.serve handler: static files of public/ like Workers assets, then the API. */
export function createHandler(options: HandlerOptions): Deno.ServeHandler {
  const { app, deps, publicDir, clientIpHeader, trustedProxies, defer, scheduled } = options;
  const headerRules = readHeaderRules(publicDir);
  const miss = new Response(null, { status: 404 });
  const assets = new Hono()
    .use(
      "*",
      serveStatic({
        root: publicDir,
        onFound: (_path, c) => {
          // What Workers static assets send: always revalidate; then the _headers rules.
          c.header("Cache-Control", "public, max-age=0, must-revalidate");
          for (const [name, value] of headersFor(headerRules, c.req.path)) c.header(name, value);
        },
      }),
    )
    .notFound(() => miss);

  const clientIp = (request: Request, info: Deno.ServeHandlerInfo): string => {
    if (clientIpHeader) {
      const forwarded = clientAddressFrom(request.headers.get(clientIpHeader), trustedProxies);
      if (forwarded) return forwarded;
    }
    return info.remoteAddr.transport === "tcp" ? info.remoteAddr.hostname : "unknown";
  };

  return async (request, info) => {
    const { pathname } = new URL(request.url);
    if (scheduled && pathname === "/__scheduled") {
      try {
        await scheduled();
        return new Response("Ran scheduled event\n");
      } catch {
        return new Response("Scheduled event failed; see the logs\n", { status: 500 });
      }
    }
    if (!isApiFirst(pathname) && !CONFIG_FILES.has(pathname) && (request.method === "GET" || request.method === "HEAD")) {
      const asset = await assets.fetch(request);
      if (asset !== miss) return asset;
    }
    return app.fetch(await withoutEmptyBody(request), { deps, defer, clientIp: clientIp(request, info) });
  };
}

/**
 * A request without Content-Length and Transfer-Encoding has no body (RFC 9112 §6.3), and
 * Workers hands it over with `body === null`; Deno.serve gives it an empty stream instead, which
 * the core's body guard would take for a body without a Content-Type (415 on `curl -X POST`).
 * Normalised here: an empty stream becomes no body. A body streamed without either header
 * (HTTP/2) is passed on intact, its first chunk put back in front.
 */
async function withoutEmptyBody(request: Request): Promise<Request> {
  if (!request.body || request.headers.has("content-length") || request.headers.has("transfer-encoding")) return request;
  const reader = request.body.getReader();
  // Deno yields an empty chunk before the end of an empty body.
  let first = await reader.read();
  while (!first.done && first.value.byteLength === 0) first = await reader.read();
  const init = { method: request.method, headers: request.headers };
  if (first.done) return new Request(request.url, init);
  const chunk = first.value;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(chunk);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Request(request.url, { ...init, body, duplex: "half" } as RequestInit);
}
