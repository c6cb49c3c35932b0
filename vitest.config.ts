import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Known to the tests through `env.ADMIN_API_KEY`; never used outside them. */
const TEST_ADMIN_API_KEY = "test-admin-key-0123456789abcdefghijklmnop";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const workerBindings = {
    TEST_MIGRATIONS: migrations,
    ADMIN_API_KEY: TEST_ADMIN_API_KEY,
    ENVIRONMENT: "test",
    LOG_LEVEL: "warn",
    S3_ACCESS_KEY_ID: "S3RVER",
    S3_SECRET_ACCESS_KEY: "S3RVER",
  };

  return {
    test: {
      projects: [
        {
          // Node-side checks: configuration files, scripts and harnesses.
          test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node" },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: workerBindings },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/node/**", "test/rate-limits/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
          },
        },
        {
          // Small limits so that 429s are reachable in a few requests; the same Worker otherwise.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { ...workerBindings, RATE_LIMIT_KEY_LIMIT: "5", RATE_LIMIT_ANON_LIMIT: "3" },
                ratelimits: {
                  RATE_LIMIT_KEY: { namespace_id: "1001", simple: { limit: 5, period: 60 } },
                  RATE_LIMIT_ANON: { namespace_id: "1002", simple: { limit: 3, period: 60 } },
                },
              },
            }),
          ],
          test: {
            name: "workers-rate-limits",
            include: ["test/rate-limits/**/*.test.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
          },
        },
      ],
    },
  };
});
