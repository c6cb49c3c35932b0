import { createApp } from "../../core/http/app";
import { alertTargetFrom, ConfigError } from "../../core/config";
import { PROBLEMS, problemType } from "../../core/errors";
import { raiseAlert } from "../../core/ingest/alerts";
import { processIngestMessage } from "../../core/ingest/consumer";
import { processDeadLetter } from "../../core/ingest/dead-letter";
import type { IngestMessage } from "../../core/ingest/message";
import { runScheduledJob } from "../../core/ingest/schedule";
import { createLogger, describeError } from "../../core/log";
import { depsFor } from "./deps";

const app = createApp();

/**
 * How long a misconfigured consumer asks the queue to wait before redelivering. Long enough
 * that a bad deploy rolled back within the messages' retries (5 in production: 25 min) loses
 * nothing; messages that run out anyway leave their files `queued`, and the ledger sweep sends
 * them again once the configuration is fixed (src/core/ingest/bounds.ts).
 */
const MISCONFIGURED_RETRY_DELAY_SECONDS = 300;
/** One misconfiguration alert per isolate per this long: every delivery would otherwise page. */
const MISCONFIGURED_ALERT_EVERY_MS = 10 * 60_000;
let lastMisconfiguredAlertAt = -Infinity;

function logConfigError(error: ConfigError) {
  // Operators see which variables are wrong; values never appear (some are secrets).
  console.error(JSON.stringify({ level: "error", msg: "invalid configuration", problems: error.problems }));
}

/**
 * The background handlers cannot answer 503 to anyone: without this alert a bad deploy would
 * only show in the logs while the queue's retries run out. The configuration did not parse,
 * so the webhook is read on its own, best effort.
 */
async function alertMisconfigured(env: Env, error: ConfigError, handler: string): Promise<void> {
  if (Date.now() - lastMisconfiguredAlertAt < MISCONFIGURED_ALERT_EVERY_MS) return;
  lastMisconfiguredAlertAt = Date.now();
  const target = alertTargetFrom(env as unknown as Record<string, unknown>);
  await raiseAlert(
    {
      title: "Ingestion is misconfigured",
      detail:
        `The Worker's ${handler} handler cannot start: ${error.problems.join("; ")}. Ingestion is paused: queue messages are retried ` +
        `every ${MISCONFIGURED_RETRY_DELAY_SECONDS / 60} min until their retries run out, and their files are sent again by the ledger sweep once the configuration is fixed.`,
      fields: { handler },
    },
    { ...target, log: createLogger("error", { environment: target.environment }) },
  );
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

  /** The crons (src/core/ingest/schedule.ts): the daily scan, and the frequent ledger sweep. */
  async scheduled(controller, env) {
    let deps;
    try {
      deps = depsFor(env);
    } catch (error) {
      if (error instanceof ConfigError) await alertMisconfigured(env, error, `scheduled (${controller.cron})`);
      throw error;
    }
    await runScheduledJob(controller.cron, deps);
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
      if (error instanceof ConfigError) {
        logConfigError(error);
        await alertMisconfigured(env, error, `queue (${batch.queue})`);
      }
      batch.retryAll({ delaySeconds: MISCONFIGURED_RETRY_DELAY_SECONDS });
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
