import { defineConfig } from "vitest/config";

/**
 * Browser tests of the web UI (`npm run test:e2e`): headless Chromium (Debian's, driven by
 * playwright-core) against the real local stack — wrangler dev + local S3 — that the global
 * setup starts on ephemeral loopback ports. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.e2e.ts"],
    environment: "node",
    globalSetup: ["./test/e2e/global-setup.ts"],
    // One stack, one browser, one scenario after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
