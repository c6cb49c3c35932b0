import { describeError } from "../log";
import { SWEEP_INTERVAL_SECONDS } from "./bounds";
import type { IngestDeps } from "./deps";
import { checkFreshness } from "./freshness";
import { runScan } from "./scanner";
import { sweepLedger } from "./sweep";

/**
 * The scheduled jobs of ingestion, in one place for every runtime: wrangler.toml's
 * `[triggers] crons` must list exactly the CRONS schedules (test/node/wrangler-config.test.ts), and
 * the Deno entry registers each with Deno.cron. Times are UTC.
 */
/** The daily scan of the bucket, after the data team's nightly drop. */
export const DAILY_SCAN_CRON = "0 3 * * *";
/** The ledger sweep (sweep.ts): ledger-only, cheap, frequent enough to make its bounds short. */
export const LEDGER_SWEEP_CRON = `*/${SWEEP_INTERVAL_SECONDS / 60} * * * *`;
/** Every schedule with a name (Deno.cron names allow letters, digits, spaces, `-` and `_`). */
export const CRONS = [
  { name: "daily-scan", schedule: DAILY_SCAN_CRON },
  { name: "ledger-sweep", schedule: LEDGER_SWEEP_CRON },
] as const;

/**
 * Runs the job of one cron firing. The daily job scans the bucket, then sweeps the ledger and
 * checks freshness even if the scan failed (it has already recorded and alerted its failure,
 * and is rethrown so the invocation shows as failed). An unknown schedule runs the daily job
 * after an error log: a cron renamed in the configuration alone must not stop ingestion.
 */
export async function runScheduledJob(cron: string, deps: IngestDeps): Promise<void> {
  deps.log.info("cron fired", { cron });
  if (cron === LEDGER_SWEEP_CRON) {
    await sweepLedger(deps);
    return;
  }
  if (cron !== DAILY_SCAN_CRON) deps.log.error("unknown cron schedule; running the daily job", { cron, known: CRONS.map((c) => c.schedule) });
  try {
    await runScan("cron", deps);
  } finally {
    try {
      await sweepLedger(deps);
    } catch (error) {
      deps.log.error("ledger sweep after the daily scan failed", { error: describeError(error) });
    } finally {
      await checkFreshness(deps);
    }
  }
}
