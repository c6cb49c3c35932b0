// Starts the real local stack once for all browser tests and stops it (whole process groups)
// at the end, even when a test failed.
import type { TestProject } from "vitest/node";
import { E2E_ADMIN_API_KEY, startStack } from "./stack";

export interface E2EStack {
  baseUrl: string;
  s3Url: string;
  persistDir: string;
  adminKey: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EStack;
  }
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const stack = await startStack();
  console.log(`e2e: stack up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${stack.baseUrl} (local S3 ${stack.s3Url})`);
  project.provide("e2e", { baseUrl: stack.baseUrl, s3Url: stack.s3Url, persistDir: stack.persistDir, adminKey: E2E_ADMIN_API_KEY });
  return async () => {
    await stack.stop();
  };
}
