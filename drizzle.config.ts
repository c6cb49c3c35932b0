import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here; wrangler applies it (`wrangler d1 migrations apply`)
// and the tests apply the same files through readD1Migrations/applyD1Migrations.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/core/data/schema.ts",
  out: "./migrations",
});
