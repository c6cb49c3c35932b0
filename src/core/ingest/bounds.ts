import type { IngestConfig } from "../config";
import { MAX_ABANDONED_ATTEMPTS } from "../domain/ingest";
import { retryDelaySeconds } from "./backoff";

/**
 * The time bounds the ledger promises, all derived from the queue's retry schedule so that they
 * move with it. With the production settings (max_retries 5, retry delays 30 s…1 h, lease
 * 15 min): a message is re-sent after 3 h, a file is overdue after 6 h 10 min, and a file that
 * keeps stopping its consumer is dead within about 1 h 15 min.
 */

/** How often the ledger sweep runs (its cron is derived from this in schedule.ts). */
export const SWEEP_INTERVAL_SECONDS = 600;

/** Queue delivery latency (batch timeout, a backlog of other files) and clock skew, on top of the retry schedule. */
const QUEUE_SLACK_SECONDS = 900;

/**
 * The longest one message can legitimately stay alive in the queue: `maxRetries + 1`
 * deliveries, each holding the file for at most a lease, and between them the longest wait
 * the consumer can ask for — the backoff at its highest jitter, "come back when the holder's
 * lease ends" (capped at the retry maximum), or the base delay after an unexpected error.
 */
function deliveryWindowSeconds(ingest: IngestConfig): number {
  const { maxRetries, retryBaseSeconds, retryMaxSeconds, leaseSeconds } = ingest;
  let total = (maxRetries + 1) * leaseSeconds;
  for (let attempt = 1; attempt <= maxRetries; attempt++) {
    const backoff = retryDelaySeconds(attempt, retryBaseSeconds, retryMaxSeconds, () => 1);
    total += Math.max(backoff, Math.min(retryMaxSeconds, leaseSeconds), retryBaseSeconds);
  }
  return total;
}

/**
 * A `queued` file whose message was sent longer ago than this has lost it (retries exhausted
 * while D1 or the configuration was broken, retention expired, a send that never arrived) and
 * is sent again. A message still alive past this bound (a long backlog) only causes a
 * duplicate delivery, which the claim and the lease make harmless.
 */
export function resendAfterSeconds(ingest: IngestConfig): number {
  return deliveryWindowSeconds(ingest) + QUEUE_SLACK_SECONDS;
}

/**
 * A file still `queued` or `processing` this long after it was recorded (or retried) is
 * overdue and alerts: it was re-sent once (after `resendAfterSeconds`, noticed by the next
 * sweep) and that message too had its whole delivery window.
 */
export function overdueAfterSeconds(ingest: IngestConfig): number {
  return 2 * resendAfterSeconds(ingest) + SWEEP_INTERVAL_SECONDS;
}

/**
 * A file that stops its consumer every time is `dead` within this long after its first
 * claim: each abandoned attempt is found by a redelivery or by the sweep at most one sweep
 * interval after its lease ran out, and the file is sent again at once. Queue delivery
 * latency between attempts comes on top.
 */
export function abandonedBoundSeconds(ingest: IngestConfig): number {
  return MAX_ABANDONED_ATTEMPTS * (ingest.leaseSeconds + SWEEP_INTERVAL_SECONDS);
}

/** "3 h", "6 h 10 min", "75 min" — for alerts and logs. */
export function formatSeconds(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
