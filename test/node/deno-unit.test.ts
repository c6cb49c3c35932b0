// Runs the Deno-native unit tests of the Deno adapters (src/platform/deno/*_test.ts, against a
// real in-memory Deno KV) with `deno test`, so `npm test` covers what the end-to-end tests
// cannot force: thrown queue deliveries, Deno KV's own backoffSchedule, the keysIfUndelivered
// dead-letter key and its drain, KV values over Deno KV's 64 KiB limit, and the drizzle row
// shapes over node:sqlite. Type checking is `npm run typecheck`'s job (deno check).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { DENO_BIN, ROOT } from "../contract/deno-server";

it("deno test src/platform/deno/ passes", () => {
  const result = spawnSync(DENO_BIN, ["test", "--no-check", `--allow-read=${path.join(ROOT, "migrations")}`, path.join(ROOT, "src/platform/deno/")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}) } as Record<string, string> as NodeJS.ProcessEnv,
    timeout: 60_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.status, output).toBe(0);
  expect(output).toMatch(/ok \| \d+ passed \| 0 failed/);
}, 70_000);
