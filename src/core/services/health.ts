import { sql } from "drizzle-orm";
import type { Database } from "../data/database";
import { describeError } from "../log";

export interface HealthCheck {
  status: "ok" | "fail";
  latencyMs: number;
  error?: string;
}

export async function checkDatabase(db: Database): Promise<HealthCheck> {
  const started = performance.now();
  const latency = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    await db.run(sql`SELECT 1`);
    return { status: "ok", latencyMs: latency() };
  } catch (error) {
    return { status: "fail", latencyMs: latency(), error: describeError(error) };
  }
}
