import { sql } from "drizzle-orm";
import type { Database } from "../data/database";
import { describeError } from "../log";
import { alertAbandonedFile } from "./abandoned";
import type { IngestDeps } from "./deps";
import { sendPendingFiles } from "./dispatch";
import { alertOverdueFiles } from "./freshness";
import { ledger } from "../data/ledger";

/** Staging rows deleted per statement, and statements per sweep: bounded work per invocation. */
const STAGING_ROWS_PER_DELETE = 10_000;
const STAGING_DELETES_PER_SWEEP = 20;

export interface SweepResult {
  /** Files whose consumer stopped without an outcome, sent again. */
  requeued: number;
  /** Files that used up their abandoned attempts: now dead, each alerted once. */
  dead: number;
  /** Files sent to the queue: unsent, requeued, or whose message was lost. */
  sent: number;
  /** Staging rows left behind by attempts that no longer hold their file. */
  stagingRowsDeleted: number;
  /** Files newly reported overdue. */
  overdue: number;
}

/**
 * Finds files whose consumer stopped without recording an outcome (an expired lease): each
 * becomes sendable again, or — after MAX_ABANDONED_ATTEMPTS — `dead` with an alert. Runs in
 * every scan and every sweep; each dead file is alerted by the one call that killed it.
 */
export async function recoverAbandonedFiles(deps: IngestDeps): Promise<{ requeued: number; dead: number }> {
  const changed = await ledger(deps.db).recoverAbandoned(deps.now());
  const dead = changed.filter((f) => f.status === "dead");
  for (const file of dead) await alertAbandonedFile(file, deps);
  const requeued = changed.filter((f) => f.status !== "dead");
  if (requeued.length > 0) {
    deps.log.warn("ingest files recovered from a stopped consumer", { fileIds: requeued.map((f) => f.id).slice(0, 50), count: requeued.length });
  }
  return { requeued: requeued.length, dead: dead.length };
}

/**
 * Deletes staging rows no live attempt owns: rows whose lease is not the current lease of a
 * `processing` file (an attempt that was killed, or lost its lease). A file's next claim
 * already drops its own (data/staging.ts `discardOtherAttempts`); this catches files that never
 * get one (dead, or done by a later attempt). Bounded per sweep; the rest goes next time.
 */
export async function discardOrphanedStaging(db: Database): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < STAGING_DELETES_PER_SWEEP; i++) {
    const result = await db.run(sql`
      DELETE FROM ingest_staging WHERE rowid IN (
        SELECT s.rowid FROM ingest_staging s
        WHERE NOT EXISTS (SELECT 1 FROM ingest_files f WHERE f.status = 'processing' AND f.lease_token = s.lease_token)
        LIMIT ${STAGING_ROWS_PER_DELETE})`);
    const changes = (result as { meta?: { changes?: number } }).meta?.changes ?? 0;
    deleted += changes;
    if (changes < STAGING_ROWS_PER_DELETE) break;
  }
  return deleted;
}

/**
 * The frequent, ledger-only maintenance run (schedule.ts): no S3 call. Recovers or ends files
 * left by a stopped consumer, sends files whose message is missing or lost, deletes orphaned
 * staging rows, and alerts on overdue files. Each step runs even if an earlier one failed; the
 * first failure is rethrown at the end so the invocation is reported as failed.
 */
export async function sweepLedger(deps: IngestDeps): Promise<SweepResult> {
  const result: SweepResult = { requeued: 0, dead: 0, sent: 0, stagingRowsDeleted: 0, overdue: 0 };
  const failures: unknown[] = [];
  const step = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      failures.push(error);
      deps.log.error("ledger sweep step failed", { step: name, error: describeError(error) });
    }
  };
  await step("recover", async () => void Object.assign(result, await recoverAbandonedFiles(deps)));
  await step("send", async () => void (result.sent = (await sendPendingFiles(deps)).length));
  await step("staging", async () => void (result.stagingRowsDeleted = await discardOrphanedStaging(deps.db)));
  await step("overdue", async () => void (result.overdue = await alertOverdueFiles(deps)));
  deps.log.info("ledger sweep finished", { ...result });
  if (failures.length > 0) throw failures[0];
  return result;
}
