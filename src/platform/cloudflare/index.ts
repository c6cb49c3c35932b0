import { createApp } from "../../core/app";
import { ConfigError } from "../../core/config";
import { PROBLEMS, problemType } from "../../core/errors";
import { processIngestMessage } from "../../core/ingest/consumer";
import { processDeadLetter } from "../../core/ingest/dead-letter";
import { checkFreshness } from "../../core/ingest/freshness";
import type { IngestMessage } from "../../core/ingest/message";
import { runScan } from "../../core/ingest/scanner";
import { describeError } from "../../core/log";
import { depsFor } from "./deps";

const app = createApp();

function logConfigError(error: ConfigError) {
  // Operators see which variables are wrong; values never appear (some are secrets).
  console.error(JSON.stringify({ level: "error", msg: "invalid configuration", problems: error.problems }));
}

function misconfigured(request: Request, error: ConfigError): Response {
  logConfigError(error);
  // Rendered here, not by the app: without a valid configuration there are no deps to build it.
  const { status, title } = PROBLEMS["service-unavailable"];
  return new Response(
    JSON.stringify({
      type: problemType("service-unavailable"),
      title,
      status,
      detail: "The service is misconfigured; operators have been told via the logs",
      instance: new URL(request.url).pathname,
    }),
    { status, headers: { "Content-Type": "application/problem+json" } },
  );
}

export default {
  async fetch(request, env, ctx) {
    let deps;
    try {
      deps = depsFor(env);
    } catch (error) {
      if (error instanceof ConfigError) return misconfigured(request, error);
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

  /** The daily cron: scan the bucket, then check that ingestion is not stale. */
  async scheduled(controller, env) {
    const deps = depsFor(env);
    deps.log.info("cron fired", { cron: controller.cron, scheduledTime: new Date(controller.scheduledTime).toISOString() });
    try {
      await runScan("cron", deps);
    } finally {
      await checkFreshness(deps);
    }
  },

  /**
   * Both queues land here. Never throws: locally a throw makes the runtime redeliver even the
   * messages already acked (PLATFORM-FACTS §2), so each message is acked or retried on its own.
   */
  async queue(batch, env) {
    let deps;
    try {
      deps = depsFor(env);
    } catch (error) {
      if (error instanceof ConfigError) logConfigError(error);
      batch.retryAll({ delaySeconds: 60 });
      return;
    }
    const deadLetters = batch.queue === env.INGEST_DLQ_NAME;
    for (const message of batch.messages) {
      try {
        if (deadLetters) {
          await processDeadLetter(message.body, message.attempts, deps);
          message.ack();
          continue;
        }
        const decision = await processIngestMessage(message.body, message.attempts, deps);
        if (decision.action === "ack") message.ack();
        else message.retry({ delaySeconds: decision.delaySeconds });
      } catch (error) {
        // The ledger itself is unreachable (e.g. D1 down): retry the message later.
        deps.log.error("queue message failed", { queue: batch.queue, messageId: message.id, error: describeError(error) });
        message.retry({ delaySeconds: deps.config.ingest.retryBaseSeconds });
      }
    }
  },
} satisfies ExportedHandler<Env, IngestMessage>;
