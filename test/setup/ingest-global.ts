// Global setup of the ingestion tests (runs in Node): a real S3-compatible server (s3rver, as a
// child process so it can have --openssl-legacy-provider) behind the fault-injecting harness.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { spawnLocalS3 } from "../../scripts/lib/processes.mjs";
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
  const s3 = await spawnLocalS3({ dir, bucket: INGEST_TEST_BUCKET });
  const harness = await startIngestHarness({
    s3Port: s3.port,
    bucket: INGEST_TEST_BUCKET,
    region: INGEST_TEST_REGION,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
  project.provide("ingestHarnessPort", harness.port);

  return async () => {
    await harness.close();
    s3.child.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  };
}
