// Global setup of the ingestion tests (runs in Node): a real S3-compatible server (s3rver, as a
// child process so it can have --openssl-legacy-provider) behind the fault-injecting harness.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { TestProject } from "vitest/node";
import { startIngestHarness } from "../harness/ingest-harness";

export const INGEST_TEST_BUCKET = "test-rankings";
export const INGEST_TEST_REGION = "eu-test-1";

declare module "vitest" {
  export interface ProvidedContext {
    ingestHarnessPort: number;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "game-db-s3-"));
  const root = path.resolve(import.meta.dirname, "../..");
  const s3 = spawn(
    process.execPath,
    ["--openssl-legacy-provider", path.join(root, "scripts/local-s3.mjs"), "--port", "0", "--dir", dir, "--bucket", INGEST_TEST_BUCKET],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    s3.once("exit", (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
    createInterface({ input: s3.stdout! }).once("line", (line) => resolve(JSON.parse(line)));
  });
  const harness = await startIngestHarness({
    s3Port: ready.port,
    bucket: INGEST_TEST_BUCKET,
    region: INGEST_TEST_REGION,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
  project.provide("ingestHarnessPort", harness.port);

  return async () => {
    await harness.close();
    s3.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  };
}
