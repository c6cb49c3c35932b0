import { createApp } from "../../core/app";
import { ConfigError } from "../../core/config";
import { depsFor } from "./deps";

const app = createApp();

function misconfigured(error: ConfigError): Response {
  // Operators see which variables are wrong in the log; clients only learn the service is down.
  console.error(JSON.stringify({ level: "error", msg: "invalid configuration", problems: error.problems }));
  return new Response(
    JSON.stringify({
      type: "urn:game-db:problem:service-unavailable",
      title: "Service unavailable",
      status: 503,
      detail: "The service is misconfigured; operators have been told via the logs",
    }),
    { status: 503, headers: { "Content-Type": "application/problem+json" } },
  );
}

export default {
  async fetch(request, env, ctx) {
    let deps;
    try {
      deps = depsFor(env);
    } catch (error) {
      if (error instanceof ConfigError) return misconfigured(error);
      throw error;
    }
    return app.fetch(
      request,
      {
        deps,
        defer: (promise) => ctx.waitUntil(promise),
        clientIp: request.headers.get("CF-Connecting-IP") ?? "unknown",
        requestId: request.headers.get("CF-Ray") ?? undefined,
      },
      ctx,
    );
  },
} satisfies ExportedHandler<Env>;
