import { existsSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * The folders whose tests run in a project of their own; every other test under test/ runs in
 * the `workers` project. A test's project is decided by where it lives, never by a list of files.
 */
const PROJECT_FOLDERS = {
  /** Node-side checks: configuration files, scripts, the Deno server over HTTP, the architecture. */
  node: ["test/node"],
  /** Everything that needs the S3 harness and the queues: ingestion, and the Worker's background handlers. */
  "workers-ingest": ["test/core/ingest", "test/platform/cloudflare"],
  /** Small rate limits, so that 429s are reachable in a few requests. */
  "workers-rate-limits": ["test/rate-limits"],
};
for (const folder of Object.values(PROJECT_FOLDERS).flat()) {
  if (!existsSync(path.join(import.meta.dirname, folder))) throw new Error(`vitest.config.ts: no folder ${folder}`);
}
const testsIn = (folders: string[]) => folders.map((folder) => `${folder}/**/*.test.ts`);
const foldersOf = (folders: string[]) => folders.map((folder) => `${folder}/**`);

const roomyLimits = {
  vars: { RATE_LIMIT_KEY_LIMIT: "100000", RATE_LIMIT_ANON_LIMIT: "100000" },
  ratelimits: {
    RATE_LIMIT_KEY: { namespace_id: "1001", simple: { limit: 100_000, period: 60 as const } },
    RATE_LIMIT_ANON: { namespace_id: "1002", simple: { limit: 100_000, period: 60 as const } },
  },
};

/**
 * Every Workers project runs the Worker through this entry: the real handlers, with D1 and KV
 * behind the production limits Miniflare does not enforce (test/support/limited-env.ts).
 */
const LIMITED_WORKER = "./test/support/limited-worker.ts";

/**
 * A test's timeout detects a hang; it is not a performance assertion. vitest's 5 s default
 * failed tests that wait on a bounded condition (the next rate-limit window, up to 5 s) or run
 * 1,000 D1 queries on a loaded 2-core machine, so every Workers project gets the same roomy limit.
 */
const HANG_TIMEOUT_MS = 60_000;

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
          test: { name: "node", include: testsIn(PROJECT_FOLDERS.node), environment: "node", testTimeout: HANG_TIMEOUT_MS, hookTimeout: HANG_TIMEOUT_MS },
        },
        {
          plugins: [
            cloudflareTest({
              main: LIMITED_WORKER,
              wrangler: { configPath: "./wrangler.toml" },
              // The limiter's counters are shared by every file of a project: limits high enough
              // that hundreds of tests with one admin key never trip them (they have their own
              // project below).
              miniflare: {
                bindings: { ...workerBindings, ...roomyLimits.vars },
                ratelimits: roomyLimits.ratelimits,
                // The lagging read replica's own database (test/support/lagging-replica.ts).
                d1Databases: { REPLICA_DB: "replica-db" },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: foldersOf([...PROJECT_FOLDERS.node, ...PROJECT_FOLDERS["workers-ingest"], ...PROJECT_FOLDERS["workers-rate-limits"]]),
            setupFiles: ["./test/setup/apply-migrations.ts"],
            testTimeout: HANG_TIMEOUT_MS,
            hookTimeout: HANG_TIMEOUT_MS,
          },
        },
        {
          // Ingestion against a real S3-compatible server behind a fault-injecting harness
          // (test/setup/ingest-global.ts). Files run one at a time: they share the bucket and
          // the queues.
          plugins: [
            cloudflareTest(({ inject }) => {
              const harness = `http://127.0.0.1:${inject("ingestHarnessPort")}`;
              return {
                main: LIMITED_WORKER,
                wrangler: { configPath: "./wrangler.toml" },
                miniflare: {
                  ratelimits: roomyLimits.ratelimits,
                  bindings: {
                    ...workerBindings,
                    ...roomyLimits.vars,
                    S3_ENDPOINT: harness,
                    S3_BUCKET: "test-rankings",
                    S3_REGION: "eu-test-1",
                    S3_PREFIX: "daily/",
                    // Every listing spans several pages.
                    S3_LIST_PAGE_SIZE: "2",
                    S3_TIMEOUT_MS: "1000",
                    ALERT_WEBHOOK_URL: `${harness}/__harness/webhook`,
                    INGEST_RETRY_BASE_SECONDS: "1",
                    INGEST_RETRY_MAX_SECONDS: "2",
                    // SNS certificates and SubscribeURLs are served by the harness (its pages), the
                    // only host besides AWS's that the tests trust (test/core/ingest/sns.test.ts).
                    SNS_CERT_HOST_PATTERN: `127\\.0\\.0\\.1:${inject("ingestHarnessPort")}`,
                    SNS_TOPIC_ARNS: "arn:aws:sns:eu-test-1:123456789012:test-rankings-uploads,arn:aws:sns:eu-test-1:123456789012:second-topic",
                  },
                },
              };
            }),
          ],
          test: {
            name: "workers-ingest",
            include: testsIn(PROJECT_FOLDERS["workers-ingest"]),
            setupFiles: ["./test/setup/apply-migrations.ts"],
            globalSetup: ["./test/setup/ingest-global.ts"],
            fileParallelism: false,
            testTimeout: HANG_TIMEOUT_MS,
            hookTimeout: HANG_TIMEOUT_MS,
          },
        },
        {
          // Small limits so that 429s are reachable in a few requests; the same Worker otherwise.
          plugins: [
            cloudflareTest({
              main: LIMITED_WORKER,
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
            include: testsIn(PROJECT_FOLDERS["workers-rate-limits"]),
            setupFiles: ["./test/setup/apply-migrations.ts"],
            testTimeout: HANG_TIMEOUT_MS,
            hookTimeout: HANG_TIMEOUT_MS,
          },
        },
      ],
    },
  };
});
