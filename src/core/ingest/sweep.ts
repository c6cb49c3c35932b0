import { describeError } from "../log";
import { reportAbandonedFile } from "./abandoned";
import type { IngestDeps } from "./deps";
import { sendPendingFiles } from "./dispatch";
import { alertOverdueFiles } from "./freshness";
import { createLedger } from "../data/ledger";
import { discardOrphanedStaging } from "../data/staging";

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
  const changed = await createLedger(deps.db).recoverAbandoned(deps.now());
  const dead = changed.filter((f) => f.status === "dead");
  for (const file of dead) await reportAbandonedFile(file, 0, deps);
  const requeued = changed.filter((f) => f.status !== "dead");
  if (requeued.length > 0) {
    deps.log.warn("ingest files recovered from a stopped consumer", { fileIds: requeued.map((f) => f.id).slice(0, 50), count: requeued.length });
  }
  return { requeued: requeued.length, dead: dead.length };
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
