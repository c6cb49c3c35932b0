import { drizzle } from "drizzle-orm/d1";
import type { Database } from "../../core/data/database";
import * as schema from "../../core/data/schema";

/** The core's Database on D1: drizzle's D1 driver, whose `batch` is D1's atomic batch. */
export function createDatabase(binding: D1Database): Database {
  return drizzle(binding, { schema });
}
