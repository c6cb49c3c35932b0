import { applyD1Migrations, env } from "cloudflare:test";

// The same SQL files `wrangler d1 migrations apply` runs. Storage is isolated per test file,
// and applyD1Migrations skips migrations already applied, so this is cheap per file.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
