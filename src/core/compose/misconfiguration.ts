import { alertTargetFrom, type ConfigError } from "../config";
import { raiseAlert } from "../ingest/alerts";
import { createLogger } from "../log";

/**
 * How long a misconfigured queue consumer asks the queue to wait before redelivering. Long enough
 * that a bad deploy rolled back within the messages' retries (5 in production: 25 min) loses
 * nothing; messages that run out anyway leave their files `queued`, and the ledger sweep sends
 * them again once the configuration is fixed (src/core/ingest/bounds.ts).
 */
export const MISCONFIGURED_RETRY_DELAY_SECONDS = 300;
/** One misconfiguration alert per isolate per this long: every delivery would otherwise page. */
const ALERT_EVERY_MS = 10 * 60_000;

/**
 * The one log line of a configuration that does not parse, on every runtime: which variables are
 * wrong, never their values (some are secrets).
 */
export function logInvalidConfiguration(error: ConfigError): void {
  console.error(JSON.stringify({ level: "error", msg: "invalid configuration", problems: error.problems }));
}

export interface MisconfigurationAlarm {
  /**
   * Tells the on-call that `handler` cannot start, at most once per 10 minutes. Background
   * handlers cannot answer 503 to anyone: without this alert a bad deploy would only show in
   * the logs while the queue's retries run out. The configuration did not parse, so the webhook
   * is read on its own (`alertTargetFrom`), best effort.
   */
  alert(vars: Record<string, unknown>, error: ConfigError, handler: string): Promise<void>;
}

/** One alarm per isolate (its memory of the last alert); `now` is the clock of the 10 minutes. */
export function createMisconfigurationAlarm(now: () => number = () => Date.now()): MisconfigurationAlarm {
  let lastAlertAt = -Infinity;
  return {
    async alert(vars, error, handler) {
      if (now() - lastAlertAt < ALERT_EVERY_MS) return;
      lastAlertAt = now();
      const target = alertTargetFrom(vars);
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
    },
  };
}
