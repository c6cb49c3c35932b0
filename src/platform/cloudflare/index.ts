// The Worker entry: its three handlers over the core. Everything a handler needs is built by the
// core's composition root from the bindings (deps.ts); what is Cloudflare's here is only how a
// request, a cron firing and a queue batch arrive, and how a queue message is acked or retried.
import { ConfigError } from "../../core/config";
import { createMisconfigurationAlarm, logInvalidConfiguration, MISCONFIGURED_RETRY_DELAY_SECONDS } from "../../core/compose/misconfiguration";
import { inSession } from "../../core/services/deps";
import type { IngestMessage } from "../../core/domain/ingest";
import { createApp } from "../../core/http/app";
import type { AppDeps } from "../../core/http/env";
import { createMisconfiguredApp } from "../../core/http/misconfigured";
import { processIngestMessage } from "../../core/ingest/consumer";
import { processDeadLetter } from "../../core/ingest/dead-letter";
import { runScheduledJob } from "../../core/ingest/schedule";
import { createLogger, describeError } from "../../core/log";
import { depsFor } from "./deps";

/** The deps of `env`, or the ConfigError that stops them from being built (logged here, once per call). */
function tryDeps(env: Env): AppDeps | ConfigError {
  try {
    return depsFor(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logInvalidConfiguration(error);
    return error;
  }
}

/**
 * The Worker's handlers, with the state one isolate keeps between invocations: the app (its
 * routes compiled once) and the misconfiguration alarm. The services live in deps.ts, per `env`.
 */
export function createWorker() {
  const app = createApp();
  const misconfigured = createMisconfiguredApp();
  const alarm = createMisconfigurationAlarm();
  const vars = (env: Env) => env as unknown as Record<string, unknown>;

  return {
    async fetch(request, env, ctx) {
      const requestId = request.headers.get("CF-Ray") ?? undefined;
      const deps = tryDeps(env);
      if (deps instanceof ConfigError) return misconfigured.fetch(request, { deps: { log: createLogger("error") }, requestId });
      return app.fetch(
        request,
        {
          deps,
          defer: (promise) => ctx.waitUntil(promise),
          clientIp: request.headers.get("CF-Connecting-IP") ?? "unknown",
          requestId,
        },
        ctx,
      );
    },

    /** The crons (src/core/ingest/schedule.ts): the daily scan, and the frequent ledger sweep. */
    async scheduled(controller, env) {
      const deps = tryDeps(env);
      if (deps instanceof ConfigError) {
        await alarm.alert(vars(env), deps, `scheduled (${controller.cron})`);
        throw deps;
      }
      // One D1 session per cron run: it writes the ledger, so it starts on the primary.
      await runScheduledJob(controller.cron, inSession(deps, "first-primary"));
    },

    /**
     * Both queues land here. Never throws: a throw makes the queue redeliver the whole batch, and
     * locally (Miniflare) even the messages already acked, unlike production
     * (https://developers.cloudflare.com/queues/configuration/batching-retries/), so each message
     * is acked or retried on its own.
     */
    async queue(batch, env) {
      const deps = tryDeps(env);
      if (deps instanceof ConfigError) {
        await alarm.alert(vars(env), deps, `queue (${batch.queue})`);
        batch.retryAll({ delaySeconds: MISCONFIGURED_RETRY_DELAY_SECONDS });
        return;
      }
      const deadLetters = batch.queue === env.INGEST_DLQ_NAME;
      for (const message of batch.messages) {
        // One D1 session per message, started on the primary: the consumer writes the ledger
        // first thing, and its commit's bookmark goes with the data version bump.
        const session = inSession(deps, "first-primary");
        try {
          if (deadLetters) {
            await processDeadLetter(message.body, message.attempts, session);
            message.ack();
            continue;
          }
          const decision = await processIngestMessage(message.body, message.attempts, session);
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
}

export default createWorker();
