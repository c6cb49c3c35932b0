// Poison files end, with a reason: a file that stops its consumer every time (CPU, memory or
// wall-time limit, D1's 1,000 queries per invocation) must end `dead` with a reason and ONE
// alert within the documented bound, and never come back by itself. The consumer's death is
// real code running against a D1 that refuses every query after the claim — exactly what D1
// does past its per-invocation limit: the consumer cannot even give the file back, so it stays
// `processing` under a lease nobody will release. The queue's deliveries, the dead-letter
// queue and the sweep cron are played in order on a simulated clock (`deps.now`).
import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_ABANDONED_ATTEMPTS } from "../../../src/core/domain/ingest";
import { abandonedBoundSeconds, SWEEP_INTERVAL_SECONDS } from "../../../src/core/ingest/bounds";
import { processIngestMessage } from "../../../src/core/ingest/consumer";
import { processDeadLetter } from "../../../src/core/ingest/dead-letter";
import { createLedger } from "../../../src/core/data/ledger";
import type { IngestMessage } from "../../../src/core/domain/ingest";
import { runScan } from "../../../src/core/ingest/scanner";
import { sweepLedger } from "../../../src/core/ingest/sweep";
import { callJson } from "../../helpers/api";
import { alerts, alertsMentioning, fileRow, files, getRequests, putObject, resetIngestState, setFaults, stagingCount, waitForStatus } from "../../helpers/ingest";
import { holdingQueue, iosRecord, realDeps, recordingQueue } from "../../helpers/ingest-pipeline";
import { metricsLog } from "../../support/limited-env";

const KEY = "daily/2021-12-09/poison.json";
const STOPPED = "Ingestion file keeps stopping its consumer";
const config = realDeps().config.ingest;

/**
 * A D1 that answers the first `allowed` queries of an invocation, then fails every one, as D1
 * does past its 1,000 queries per invocation (the error text is D1's).
 */
function d1FailingAfter(allowed: number): D1Database {
  let used = 0;
  const spend = () => {
    if (++used > allowed) throw new Error("D1_ERROR: Too many API requests by single worker invocation");
  };
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args));
        if (prop === "run" || prop === "all" || prop === "raw" || prop === "first") {
          return (...args: unknown[]) => {
            spend();
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return Reflect.get(target, prop, target);
      },
    });
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          spend();
          return target.batch(statements);
        };
      }
      return Reflect.get(target, prop, target);
    },
  });
}

/** The consumer of one invocation that dies right after claiming the file (its first query). */
const dyingConsumer = (now: Date) => realDeps({ db: drizzle(d1FailingAfter(1)), now: () => now });

interface Delivery {
  at: number;
  attempts: number;
  message: IngestMessage;
}

/**
 * Plays the platform for `file`'s messages on a clock starting at `t0`: each delivery runs a
 * consumer that dies after its claim (the runtime retries a failed invocation after the base
 * delay); `retry` decisions come back after the delay asked; after max_retries + 1 deliveries
 * a message goes to the dead-letter queue; the sweep cron runs every SWEEP_INTERVAL_SECONDS and
 * its sends become new messages. Stops when the file is finished or at `until`.
 */
async function playPoisonedQueue(first: IngestMessage, t0: Date, until: Date) {
  let deliveries: Delivery[] = [{ at: t0.getTime(), attempts: 1, message: first }];
  let nextSweep = t0.getTime() + SWEEP_INTERVAL_SECONDS * 1000;
  let deadLetters = 0;
  for (;;) {
    const delivery = deliveries.sort((a, b) => a.at - b.at)[0];
    const now = Math.min(delivery?.at ?? Infinity, nextSweep);
    if (now > until.getTime()) break;
    if (delivery && delivery.at === now) {
      deliveries = deliveries.slice(1);
      let delaySeconds: number;
      try {
        const decision = await processIngestMessage(delivery.message, delivery.attempts, dyingConsumer(new Date(now)));
        if (decision.action === "ack") continue;
        delaySeconds = decision.delaySeconds;
      } catch {
        delaySeconds = config.retryBaseSeconds;
      }
      if (delivery.attempts > config.maxRetries) {
        deadLetters++;
        await processDeadLetter(delivery.message, 1, realDeps({ now: () => new Date(now) }));
      } else {
        deliveries.push({ at: now + delaySeconds * 1000, attempts: delivery.attempts + 1, message: delivery.message });
      }
    } else {
      const sent = holdingQueue();
      await sweepLedger(realDeps({ ingestQueue: sent, now: () => new Date(now) }));
      for (const message of sent.held) deliveries.push({ at: now + 1_000, attempts: 1, message });
      nextSweep += SWEEP_INTERVAL_SECONDS * 1000;
    }
    const [row] = await files();
    if (row && ["done", "failed", "dead"].includes(row.status)) return { endedAt: new Date(now), deadLetters };
  }
  return { endedAt: undefined, deadLetters };
}

async function scanHeld(t0: Date): Promise<IngestMessage> {
  await putObject(KEY, JSON.stringify([iosRecord(1), iosRecord(2)]));
  const queue = holdingQueue();
  await runScan("cron", realDeps({ ingestQueue: queue, now: () => t0 }));
  return queue.held[0]!;
}

beforeEach(resetIngestState);

describe("a file whose consumer stops after claiming it, every time", () => {
  it("ends dead with the reason and one alert within the documented bound, and nothing revives it", async () => {
    const t0 = new Date("2026-12-01T03:00:00.000Z");
    const message = await scanHeld(t0);
    const bound = new Date(t0.getTime() + abandonedBoundSeconds(config) * 1000);

    const { endedAt, deadLetters } = await playPoisonedQueue(message, t0, new Date(t0.getTime() + 2 * abandonedBoundSeconds(config) * 1000));

    expect(endedAt).toBeDefined();
    expect(endedAt!.getTime()).toBeLessThanOrEqual(bound.getTime());
    // The queue gave up on messages meanwhile, but its dead letters met a live lease.
    expect(deadLetters).toBeGreaterThan(0);
    const dead = await fileRow(message.fileId);
    expect(dead).toMatchObject({ status: "dead", attempts: MAX_ABANDONED_ATTEMPTS, abandoned_attempts: MAX_ABANDONED_ATTEMPTS, lease_token: null });
    expect(dead.last_error).toBe(
      `consumer-stopped: the consumer stopped ${MAX_ABANDONED_ATTEMPTS} times without recording an outcome (likely CPU, memory or D1 query limit)`,
    );
    const alerted = await alertsMentioning(STOPPED, KEY);
    expect(alerted).toHaveLength(1);
    expect(alerted[0]!.text).toContain(`stopped ${MAX_ABANDONED_ATTEMPTS} times`);
    expect(alerted[0]!.text).toContain(`/api/ingest/files/${message.fileId}/retry`);
    expect(await alerts()).toHaveLength(1);

    // A day of sweeps and scans later: still dead, nothing sent, no second alert.
    const queue = recordingQueue();
    for (let minutes = 10; minutes <= 24 * 60; minutes += 10) {
      await sweepLedger(realDeps({ ingestQueue: queue, now: () => new Date(endedAt!.getTime() + minutes * 60_000) }));
    }
    await runScan("cron", realDeps({ ingestQueue: queue, now: () => new Date(endedAt!.getTime() + 24 * 3_600_000) }));
    expect(queue.sent).toEqual([]);
    expect(await fileRow(message.fileId)).toEqual(dead);
    expect(await alerts()).toHaveLength(1);
  });

  it("a retry gives it a fresh budget: with the cause fixed it is ingested", async () => {
    const t0 = new Date(Date.now() - 2 * abandonedBoundSeconds(config) * 1000);
    const message = await scanHeld(t0);
    await playPoisonedQueue(message, t0, new Date());
    expect(await fileRow(message.fileId)).toMatchObject({ status: "dead", abandoned_attempts: MAX_ABANDONED_ATTEMPTS });

    const { body } = await callJson(`/api/ingest/files/${message.fileId}/retry`, 202, { method: "POST" });
    expect(body.status).toMatch(/^(queued|processing|done)$/);
    const done = await waitForStatus(KEY, ["done", "failed", "dead"]);
    expect(done).toMatchObject({ status: "done", records_upserted: 2 });
    expect(await fileRow(message.fileId)).toMatchObject({ abandoned_attempts: 0, attempts: MAX_ABANDONED_ATTEMPTS + 1 });
  });
});

describe("counting abandoned attempts in the ledger", () => {
  /** Leaves the file `processing` under a lease that ran out, as a consumer that died does. */
  async function abandon(message: IngestMessage, times: number) {
    const ledger = createLedger(realDeps().db);
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < times; i++) {
      // Each claim's lease ran out a second after it, before the next claim.
      const claimedAt = new Date(hourAgo + i * 2_000);
      const claimed = await ledger.claimFile(message.fileId, message.etag, `dead-lease-${i}`, new Date(claimedAt.getTime() + 1_000), claimedAt);
      expect(claimed?.status).toBe("processing");
    }
  }

  it("a redelivery that finds the last allowed attempt abandoned ends the file: dead, one alert, acked, not downloaded", async () => {
    const message = await scanHeld(new Date());
    await abandon(message, MAX_ABANDONED_ATTEMPTS);
    expect(await fileRow(message.fileId)).toMatchObject({ status: "processing", abandoned_attempts: MAX_ABANDONED_ATTEMPTS - 1 });
    metricsLog.clear();

    // Five redeliveries at once (duplicates): one of them ends the file, all are acknowledged.
    const decisions = await Promise.all(Array.from({ length: 5 }, (_, i) => processIngestMessage(message, i + 2, realDeps())));
    expect(decisions).toEqual(Array(5).fill({ action: "ack" }));
    expect(await fileRow(message.fileId)).toMatchObject({ status: "dead", abandoned_attempts: MAX_ABANDONED_ATTEMPTS, attempts: MAX_ABANDONED_ATTEMPTS });
    expect(await alertsMentioning(STOPPED, KEY)).toHaveLength(1);
    expect((await alerts()).length).toBe(1);
    expect(await getRequests(KEY)).toEqual([]);
    // …and one `dead` data point, however many duplicates found it so.
    expect(metricsLog.points.filter((p) => p.blobs?.[1] === "dead").map((p) => p.blobs)).toEqual([["ingest_file", "dead", "consumer-stopped", KEY]]);
  });

  it("the sweep that finds the last allowed attempt abandoned ends the file: dead, one alert, one data point", async () => {
    const message = await scanHeld(new Date());
    await abandon(message, MAX_ABANDONED_ATTEMPTS);
    metricsLog.clear();
    const swept = await sweepLedger(realDeps({ ingestQueue: holdingQueue() }));
    expect(swept).toMatchObject({ dead: 1 });
    expect(await fileRow(message.fileId)).toMatchObject({ status: "dead", abandoned_attempts: MAX_ABANDONED_ATTEMPTS });
    expect(await alertsMentioning(STOPPED, KEY)).toHaveLength(1);
    expect(metricsLog.points.filter((p) => p.blobs?.[0] === "ingest_file")).toEqual([
      { indexes: ["ingest"], blobs: ["ingest_file", "dead", "consumer-stopped", KEY], doubles: [0, 0, 0, 0, 0, 0, message.fileId, 0] },
    ]);
  });

  it("fewer abandoned attempts than the maximum: the file is taken over and ingested", async () => {
    const message = await scanHeld(new Date());
    await abandon(message, MAX_ABANDONED_ATTEMPTS - 1);
    expect(await processIngestMessage(message, 2, realDeps())).toEqual({ action: "ack" });
    expect(await fileRow(message.fileId)).toMatchObject({ status: "done", abandoned_attempts: MAX_ABANDONED_ATTEMPTS - 1 });
    expect(await alerts()).toEqual([]);
  });

  it("transient failures are outcomes, not abandoned attempts", async () => {
    const message = await scanHeld(new Date());
    await setFaults([{ op: "get", times: MAX_ABANDONED_ATTEMPTS, action: { kind: "status", status: 503 } }]);
    for (let attempt = 1; attempt <= MAX_ABANDONED_ATTEMPTS; attempt++) {
      expect(await processIngestMessage(message, attempt, realDeps())).toMatchObject({ action: "retry" });
    }
    expect(await processIngestMessage(message, MAX_ABANDONED_ATTEMPTS + 1, realDeps())).toEqual({ action: "ack" });
    expect(await fileRow(message.fileId)).toMatchObject({ status: "done", abandoned_attempts: 0, attempts: MAX_ABANDONED_ATTEMPTS + 1 });
  });

  it("a dead letter that finds the file left processing under an expired lease names the stopped consumer", async () => {
    const message = await scanHeld(new Date());
    await abandon(message, 1);
    await processDeadLetter(message, 1, realDeps());
    const dead = await fileRow(message.fileId);
    expect(dead).toMatchObject({ status: "dead" });
    expect(dead.last_error).toBe("consumer-stopped: the consumer stopped without recording an outcome (likely CPU, memory or D1 query limit)");
    expect(await alertsMentioning("Ingestion file is dead", KEY)).toHaveLength(1);
  });

  it("the sweep counts an expired lease and sends the file again, until the maximum", async () => {
    const message = await scanHeld(new Date());
    await abandon(message, 1);
    const queue = holdingQueue();
    const swept = await sweepLedger(realDeps({ ingestQueue: queue }));
    expect(swept).toMatchObject({ requeued: 1, dead: 0, sent: 1 });
    const row = await fileRow(message.fileId);
    expect(row).toMatchObject({ status: "queued", abandoned_attempts: 1, lease_token: null });
    expect(row.last_error).toMatch(/^consumer-stopped: .* \(1 of 3\); sent again$/);
    expect(queue.held.map((m) => m.fileId)).toEqual([message.fileId]);
    expect(await stagingCount()).toBe(0);
  });
});
