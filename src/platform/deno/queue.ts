import type { Decision } from "../../core/ingest/consumer";
import { processIngestMessage } from "../../core/ingest/consumer";
import { processDeadLetter } from "../../core/ingest/dead-letter";
import { retryDelaySeconds } from "../../core/ingest/backoff";
import type { IngestDeps } from "../../core/ingest/deps";
import type { IngestMessage } from "../../core/domain/ingest";
import { describeError } from "../../core/log";
import type { MessageQueue } from "../../core/ports";

/**
 * The ingest queue on Deno KV queues, mapped onto the semantics of the Cloudflare queue + DLQ
 * the core was written for:
 *
 * - `sendBatch` enqueues every message of a batch in ONE atomic operation (all or none, like
 *   Queues' sendBatch). Each message travels in an envelope with its own id and the delivery
 *   number it starts at.
 * - The consumer counts deliveries itself (Deno KV does not expose an attempt count): a
 *   counter per envelope, so a redelivery after a crash or a throw is attempt n+1.
 * - A `retry` decision of the core re-enqueues the message with exactly the delay the core
 *   chose (backoff with jitter, or "come back when the holder's lease ends") as attempt n+1,
 *   in one atomic operation with the end of this delivery. After `maxRetries` retries the
 *   message is dead-lettered instead — Cloudflare's `max_retries` + `dead_letter_queue`.
 * - An unexpected error (the database unreachable) is thrown back to Deno KV, which redelivers
 *   with the envelope's `backoffSchedule` (the same backoff, computed from the config, for the
 *   retries left); when those are exhausted Deno KV writes the envelope under its
 *   `keysIfUndelivered` key — the dead-letter key. Either way a message gets at most
 *   maxRetries + 1 deliveries.
 * - Dead letters are keys under ["ingest", "dead-letters"]; `drainDeadLetters` hands each to
 *   the core's `processDeadLetter` (file → `dead`, alert) and deletes it. It runs at start, from
 *   a one-minute `Deno.cron`, and right after the consumer dead-letters a message.
 */

export interface QueueSettings {
  maxRetries: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

interface Envelope {
  queue: "ingest";
  id: string;
  /** The delivery number of this envelope's first delivery (1 for a new message). */
  attempts: number;
  body: unknown;
}

export const DEAD_LETTERS: Deno.KvKey = ["ingest", "dead-letters"];
const deadLetterKey = (id: string): Deno.KvKey => [...DEAD_LETTERS, id];
const deliveriesKey = (id: string): Deno.KvKey => ["ingest", "deliveries", id];
/** Delivery counters outlive any realistic retry schedule, then clean themselves up. */
const DELIVERIES_TTL_MS = 7 * 24 * 3_600_000;

function isEnvelope(value: unknown): value is Envelope {
  const v = value as Partial<Envelope> | null;
  return (
    typeof v === "object" && v !== null && v.queue === "ingest" && typeof v.id === "string" && Number.isSafeInteger(v.attempts) && (v.attempts ?? 0) >= 1
  );
}

/**
 * Deno KV's redelivery delays (ms) after thrown deliveries of an envelope whose first delivery
 * is attempt `fromAttempt`: the core's backoff (without jitter) for the retries left in the
 * budget, so Deno KV gives up — and writes the keysIfUndelivered key — exactly when attempt
 * maxRetries + 1 has failed. An empty schedule means no redelivery.
 */
export function backoffSchedule(settings: QueueSettings, fromAttempt = 1): number[] {
  const left = Math.max(0, settings.maxRetries + 1 - fromAttempt);
  return Array.from({ length: left }, (_, i) => retryDelaySeconds(fromAttempt + i, settings.retryBaseSeconds, settings.retryMaxSeconds, () => 0.5) * 1000);
}

function enqueueOptions(envelope: Envelope, settings: QueueSettings, delayMs = 0) {
  return { delay: delayMs, keysIfUndelivered: [deadLetterKey(envelope.id)], backoffSchedule: backoffSchedule(settings, envelope.attempts) };
}

/** The producer side: what the scanner and the retry API send to. */
export function createMessageQueue(kv: Deno.Kv, settings: QueueSettings): MessageQueue<IngestMessage> {
  return {
    async sendBatch(messages) {
      if (messages.length === 0) return;
      const op = kv.atomic();
      for (const body of messages) {
        const envelope: Envelope = { queue: "ingest", id: crypto.randomUUID(), attempts: 1, body };
        op.enqueue(envelope, enqueueOptions(envelope, settings));
      }
      const result = await op.commit();
      if (!result.ok) throw new Error("Deno KV refused the ingest batch");
    },
  };
}

export interface ConsumerHandlers {
  processMessage(body: unknown, attempts: number, deps: IngestDeps): Promise<Decision>;
  processDeadLetter(body: unknown, attempts: number, deps: IngestDeps): Promise<void>;
}

const coreHandlers: ConsumerHandlers = { processMessage: processIngestMessage, processDeadLetter };

export interface IngestConsumer {
  /** Processes every dead letter present now; resolves with how many were handled. */
  drainDeadLetters(): Promise<number>;
  /** Resolves when the listener stops (the KV database was closed). */
  listening: Promise<void>;
}

export function startIngestConsumer(
  kv: Deno.Kv,
  deps: IngestDeps,
  settings: QueueSettings,
  handlers: ConsumerHandlers = coreHandlers,
): IngestConsumer {
  const { log } = deps;

  async function deadLetter(envelope: Envelope, attempts: number) {
    const committed = await kv
      .atomic()
      .set(deadLetterKey(envelope.id), { ...envelope, attempts } satisfies Envelope)
      .delete(deliveriesKey(envelope.id))
      .commit();
    if (!committed.ok) throw new Error("could not record the dead letter");
    log.warn("ingest message dead-lettered", { messageId: envelope.id, attempts });
    void drainDeadLetters();
  }

  async function deliver(envelope: Envelope): Promise<void> {
    const counter = deliveriesKey(envelope.id);
    const before = (await kv.get<number>(counter)).value ?? 0;
    await kv.set(counter, before + 1, { expireIn: DELIVERIES_TTL_MS });
    const attempts = envelope.attempts + before;

    let decision: Decision;
    try {
      decision = await handlers.processMessage(envelope.body, attempts, deps);
    } catch (error) {
      // The ledger itself is unreachable: Deno KV redelivers with the envelope's backoff
      // schedule, and once the retry budget is spent writes its keysIfUndelivered key.
      log.error("queue message failed", { queue: "ingest", messageId: envelope.id, attempts, error: describeError(error) });
      throw error;
    }

    if (decision.action === "ack") {
      await kv.delete(counter);
      return;
    }
    if (attempts > settings.maxRetries) return deadLetter(envelope, attempts);
    const next: Envelope = { queue: "ingest", id: crypto.randomUUID(), attempts: attempts + 1, body: envelope.body };
    const committed = await kv
      .atomic()
      .enqueue(next, enqueueOptions(next, settings, decision.delaySeconds * 1000))
      .delete(counter)
      .commit();
    if (!committed.ok) throw new Error("could not re-enqueue the ingest message");
  }

  let draining: Promise<number> | undefined;
  let drainAgain = false;

  async function drainOnce(): Promise<number> {
    let handled = 0;
    for await (const entry of kv.list<Envelope>({ prefix: DEAD_LETTERS })) {
      const envelope = entry.value;
      try {
        if (isEnvelope(envelope)) {
          // An envelope Deno KV dead-lettered carries its first delivery number; add the rest.
          const counted = (await kv.get<number>(deliveriesKey(envelope.id))).value;
          const attempts = counted ? envelope.attempts + counted - 1 : envelope.attempts;
          await handlers.processDeadLetter(envelope.body, attempts, deps);
        } else {
          log.error("dead letter of unknown shape dropped", { key: JSON.stringify(entry.key).slice(0, 200) });
        }
        const id = isEnvelope(envelope) ? envelope.id : "";
        await kv.atomic().check(entry).delete(entry.key).delete(deliveriesKey(id)).commit();
        handled++;
      } catch (error) {
        log.error("dead letter not processed; kept for the next drain", { key: JSON.stringify(entry.key).slice(0, 200), error: describeError(error) });
      }
    }
    return handled;
  }

  function drainDeadLetters(): Promise<number> {
    if (draining) {
      drainAgain = true;
      return draining;
    }
    draining = (async () => {
      let total = 0;
      do {
        drainAgain = false;
        total += await drainOnce();
      } while (drainAgain);
      return total;
    })().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  const listening = kv.listenQueue(async (value: unknown) => {
    if (!isEnvelope(value)) {
      log.error("queue message of unknown shape dropped", { value: JSON.stringify(value)?.slice(0, 200) });
      return;
    }
    await deliver(value);
  });

  return { drainDeadLetters, listening };
}
