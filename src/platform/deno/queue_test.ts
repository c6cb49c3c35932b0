// `deno test src/platform/deno/` (run by test/node/deno-unit.test.ts in `npm test`):
// the Deno KV ingest queue against a real, in-memory Deno KV, with the core's message handlers
// replaced by recorders, so each delivery path is seen exactly: retry decisions, thrown
// deliveries (Deno KV's own backoffSchedule + keysIfUndelivered) and the dead-letter drain.
import assert from "node:assert/strict";
import type { Decision } from "../../core/ingest/consumer";
import type { IngestDeps } from "../../core/ingest/deps";
import type { IngestMessage } from "../../core/domain/ingest";
import { createLogger } from "../../core/log";
import { backoffSchedule, DEAD_LETTERS, createMessageQueue, startIngestConsumer, type ConsumerHandlers, type QueueSettings } from "./queue";

const SETTINGS: QueueSettings = { maxRetries: 2, retryBaseSeconds: 1, retryMaxSeconds: 1 };
const message = (fileId: number): IngestMessage => ({ v: 1, fileId, runId: 1, key: `daily/f${fileId}.json`, etag: `"e${fileId}"` });
const deps = { log: createLogger("error") } as unknown as IngestDeps;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function recorder(decide: (attempts: number) => Decision | Promise<Decision>) {
  const deliveries: { fileId: number; attempts: number; at: number }[] = [];
  const dead: { fileId: number; attempts: number }[] = [];
  const handlers: ConsumerHandlers = {
    async processMessage(body, attempts) {
      deliveries.push({ fileId: (body as IngestMessage).fileId, attempts, at: Date.now() });
      return decide(attempts);
    },
    async processDeadLetter(body, attempts) {
      dead.push({ fileId: (body as IngestMessage).fileId, attempts });
    },
  };
  return { handlers, deliveries, dead };
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("the backoff schedule is the core's backoff without jitter, one entry per retry left", () => {
  const settings = { maxRetries: 4, retryBaseSeconds: 2, retryMaxSeconds: 10 };
  assert.deepEqual(backoffSchedule(settings), [2000, 4000, 8000, 10000]);
  assert.deepEqual(backoffSchedule(settings, 3), [8000, 10000]);
  assert.deepEqual(backoffSchedule(settings, 5), []);
  assert.deepEqual(backoffSchedule({ ...settings, maxRetries: 0 }), []);
});

Deno.test("sendBatch enqueues the whole batch; an ack ends a message after one delivery", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const { handlers, deliveries, dead } = recorder(() => ({ action: "ack" }));
  startIngestConsumer(kv, deps, SETTINGS, handlers);
  await createMessageQueue(kv, SETTINGS).sendBatch([message(1), message(2), message(3)]);
  await until(() => deliveries.length === 3, "three deliveries");
  assert.deepEqual(deliveries.map((d) => d.fileId).sort(), [1, 2, 3]);
  assert.ok(deliveries.every((d) => d.attempts === 1));
  assert.equal(dead.length, 0);
  // No delivery counters are left behind.
  assert.equal((await Array.fromAsync(kv.list({ prefix: ["ingest", "deliveries"] }))).length, 0);
  kv.close();
});

Deno.test("a retry decision redelivers after the chosen delay as attempt n+1; after maxRetries it is dead-lettered and drained", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const { handlers, deliveries, dead } = recorder(() => ({ action: "retry", delaySeconds: 1 }));
  startIngestConsumer(kv, deps, SETTINGS, handlers);
  await createMessageQueue(kv, SETTINGS).sendBatch([message(7)]);
  await until(() => dead.length === 1, "the dead letter");
  assert.deepEqual(deliveries.map((d) => d.attempts), [1, 2, 3]);
  for (let i = 1; i < deliveries.length; i++) assert.ok(deliveries[i]!.at - deliveries[i - 1]!.at >= 900, "redelivered after the decision's delay");
  assert.deepEqual(dead, [{ fileId: 7, attempts: 3 }]);
  assert.equal((await Array.fromAsync(kv.list({ prefix: DEAD_LETTERS }))).length, 0, "the drain deletes what it processed");
  kv.close();
});

Deno.test("a thrown delivery is redelivered by Deno KV (backoffSchedule), then keysIfUndelivered dead-letters it for the drain", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const { handlers, deliveries, dead } = recorder(() => {
    throw new Error("database unreachable");
  });
  const consumer = startIngestConsumer(kv, deps, SETTINGS, handlers);
  await createMessageQueue(kv, SETTINGS).sendBatch([message(9)]);
  // Deno KV writes the envelope under its keysIfUndelivered key once the schedule is exhausted.
  await until(async () => (await Array.fromAsync(kv.list({ prefix: DEAD_LETTERS }))).length === 1, "Deno KV to dead-letter the message");
  // One delivery plus one redelivery per backoffSchedule entry, each counted as the next attempt.
  assert.deepEqual(deliveries.map((d) => d.attempts), [1, 2, 3]);
  assert.equal(dead.length, 0);
  // What the one-minute cron does:
  assert.equal(await consumer.drainDeadLetters(), 1);
  assert.deepEqual(dead, [{ fileId: 9, attempts: 3 }]);
  assert.equal(await consumer.drainDeadLetters(), 0);
  kv.close();
});

Deno.test("throws after a retry decision only get the retries left: at most maxRetries + 1 deliveries in all", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const { handlers, deliveries, dead } = recorder((attempts) => {
    if (attempts === 1) return { action: "retry", delaySeconds: 0 };
    throw new Error("database unreachable");
  });
  const consumer = startIngestConsumer(kv, deps, SETTINGS, handlers);
  await createMessageQueue(kv, SETTINGS).sendBatch([message(11)]);
  await until(async () => (await Array.fromAsync(kv.list({ prefix: DEAD_LETTERS }))).length === 1, "Deno KV to dead-letter the message");
  assert.deepEqual(deliveries.map((d) => d.attempts), [1, 2, 3]);
  assert.equal(await consumer.drainDeadLetters(), 1);
  assert.deepEqual(dead, [{ fileId: 11, attempts: 3 }]);
  kv.close();
});

Deno.test("a dead letter whose processing fails stays for the next drain", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  let failing = true;
  const dead: number[] = [];
  const handlers: ConsumerHandlers = {
    processMessage: async () => ({ action: "retry", delaySeconds: 0 }),
    async processDeadLetter(body) {
      if (failing) throw new Error("ledger unreachable");
      dead.push((body as IngestMessage).fileId);
    },
  };
  const consumer = startIngestConsumer(kv, deps, { ...SETTINGS, maxRetries: 0 }, handlers);
  await createMessageQueue(kv, SETTINGS).sendBatch([message(5)]);
  await until(async () => (await Array.fromAsync(kv.list({ prefix: DEAD_LETTERS }))).length === 1, "the dead letter");
  assert.equal(await consumer.drainDeadLetters(), 0);
  failing = false;
  assert.equal(await consumer.drainDeadLetters(), 1);
  assert.deepEqual(dead, [5]);
  kv.close();
});
