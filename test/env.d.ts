import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** A second local database: the lagging read replica of test/support/lagging-replica.ts (workers project only). */
      REPLICA_DB: D1Database;
    }
  }
}
