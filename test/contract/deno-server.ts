// Node-side launcher for the Deno runner (test/node/deno-*.test.ts): starts the real Deno server
// (src/platform/deno/main.ts, with the Deno binary of the `deno` npm package) on an ephemeral port
// with its own SQLite file and Deno KV in a temp directory, and the local S3 server (s3rver) when
// asked. Everything is stopped by `stop()`; nothing is mocked.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { denoBinary, ROOT, spawnLocalS3 } from "../../scripts/lib/processes.mjs";

export { ROOT };

export const DENO_BIN = denoBinary();
export const TEST_ADMIN_KEY = "deno-test-admin-key-0123456789abcdefghijklmnop";

/** Everything the core needs, with limits roomy enough for the contract suite's one admin key. */
export const BASE_VARS: Record<string, string> = {
  ENVIRONMENT: "test",
  LOG_LEVEL: "warn",
  ADMIN_API_KEY: TEST_ADMIN_KEY,
  RATE_LIMIT_KEY_LIMIT: "100000",
  RATE_LIMIT_ANON_LIMIT: "100000",
  RATE_LIMIT_PERIOD_SECONDS: "60",
  S3_ENDPOINT: "http://127.0.0.1:9",
  S3_REGION: "eu-test-1",
  S3_BUCKET: "test-rankings",
  S3_PREFIX: "daily/",
  S3_URL_STYLE: "path",
  S3_ACCESS_KEY_ID: "S3RVER",
  S3_SECRET_ACCESS_KEY: "S3RVER",
  S3_TIMEOUT_MS: "5000",
  ALERT_WEBHOOK_URL: "",
  // The contract suite sends each test's client address in CF-Connecting-IP, as on Workers.
  CLIENT_IP_HEADER: "CF-Connecting-IP",
};

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface DenoServer {
  origin: string;
  port: number;
  dir: string;
  databasePath: string;
  kvPath: string;
  /** stdout/stderr lines so far (JSON log lines and Deno's own messages). */
  output: string[];
  process: ChildProcess;
  /** SIGTERM (graceful: drains deferred work, closes KV and SQLite), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/**
 * Starts the Deno server with `vars` over BASE_VARS. Data lives in `dir` (a new temp directory
 * unless given, so a restart can reuse one). Resolves once it prints its `listening` line.
 */
export async function startDenoServer(vars: Record<string, string> = {}, options: { dir?: string; timeoutMs?: number } = {}): Promise<DenoServer> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), "game-db-deno-")));
  const databasePath = path.join(dir, "game-db.sqlite");
  const kvPath = path.join(dir, "kv.sqlite");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? os.homedir(),
    ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
    NO_COLOR: "1",
    ...BASE_VARS,
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_PATH: databasePath,
    KV_PATH: kvPath,
    ...vars,
  };
  const child = spawn(
    DENO_BIN,
    ["run", "--allow-net", "--allow-env", "--allow-read", `--allow-write=${dir}`, path.join(ROOT, "src/platform/deno/main.ts")],
    // (ProcessEnv is widened with the Worker's vars by worker-configuration.d.ts.)
    { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
  const stdout = createInterface({ input: child.stdout! });

  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Deno server not listening after ${options.timeoutMs ?? 30_000} ms:\n${output.join("\n")}`)), options.timeoutMs ?? 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Deno server exited with ${signal ?? code} before listening:\n${output.join("\n")}`));
    });
    stdout.on("line", (line) => {
      output.push(line);
      if (!line.includes('"listening"')) return;
      try {
        const { url } = JSON.parse(line) as { url: string };
        clearTimeout(timer);
        resolve(url);
      } catch {
        // Not our line.
      }
    });
  });
  return {
    origin,
    port: Number(new URL(origin).port),
    dir,
    databasePath,
    kvPath,
    output,
    process: child,
    async stop() {
      child.kill("SIGTERM");
      await waitForExit(child, 5_000);
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the Deno entry to completion (for configurations that must make it refuse to start). */
export async function runDenoToExit(vars: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "game-db-deno-"));
  const child = spawn(
    DENO_BIN,
    ["run", "--allow-net", "--allow-env", "--allow-read", `--allow-write=${dir}`, path.join(ROOT, "src/platform/deno/main.ts")],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.homedir(), NO_COLOR: "1", PORT: "0", DATABASE_PATH: path.join(dir, "db.sqlite"), KV_PATH: path.join(dir, "kv.sqlite"), ...vars } as Record<string, string> as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`deno did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  await rm(dir, { recursive: true, force: true });
  return { code, output };
}

export interface LocalS3 {
  port: number;
  bucket: string;
  stop(): Promise<void>;
}

/** s3rver on an ephemeral loopback port with an empty bucket (scripts/local-s3.mjs). */
export async function startLocalS3(bucket: string): Promise<LocalS3> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "game-db-deno-s3-"));
  const { child, port } = await spawnLocalS3({ dir, bucket });
  return {
    port,
    bucket,
    async stop() {
      child.kill("SIGTERM");
      await waitForExit(child, 5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
