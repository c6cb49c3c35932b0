import { sql } from "drizzle-orm";
import type { Database } from "../data/database";
import { createLedgerReads } from "../data/ledger-reads";
import { describeError } from "../log";
import type { ServiceDeps } from "./deps";
import { ageSeconds } from "./stats";

export interface HealthCheck {
  status: "ok" | "fail";
  latencyMs: number;
  error?: string;
}

async function checkDatabase(db: Database): Promise<HealthCheck> {
  const started = performance.now();
  const latency = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    await db.run(sql`SELECT 1`);
    return { status: "ok", latencyMs: latency() };
  } catch (error) {
    return { status: "fail", latencyMs: latency(), error: describeError(error) };
  }
}

export type HealthReport =
  | { status: "ok"; checks: { db: HealthCheck }; ingestion: { lastSuccessAt: string | null; ageSeconds: number | null } }
  | { status: "unavailable"; checks: { db: Omit<HealthCheck, "error"> }; ingestion: null };

/**
 * The service's health: the database answers, and how old the last successful ingestion is (a
 * stale ingestion does not make the service unhealthy; the sweep alerts on it). A failing check's
 * reason goes to the log; the report names only the check that failed.
 */
export async function healthReport(deps: Pick<ServiceDeps, "db" | "log" | "now">): Promise<HealthReport> {
  const db = await checkDatabase(deps.db);
  if (db.status !== "ok") {
    deps.log.error("health check failed", { check: "db", error: db.error });
    return { status: "unavailable", checks: { db: { status: db.status, latencyMs: db.latencyMs } }, ingestion: null };
  }
  const lastSuccessAt = await createLedgerReads(deps.db).lastSuccessAt();
  return { status: "ok", checks: { db }, ingestion: { lastSuccessAt, ageSeconds: ageSeconds(lastSuccessAt, deps.now()) } };
}
