// The real local stack for the browser tests, on ephemeral loopback ports: the local S3
// (s3rver, seeded with the two sample files), D1 migrations applied into a temporary persist
// directory, and `wrangler dev` with scheduled-event testing. Nothing here touches the
// developer's .dev.vars or .wrangler/state. Each process runs in its own process group, so
// stopping it also stops what it started (workerd, esbuild).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/lib/local-dev.mjs";
import { spawnLocalS3 } from "../../scripts/lib/processes.mjs";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const RESULTS_DIR = path.join(ROOT, "test-results/e2e");
export const BUCKET = "game-db-rankings";
export const SEED_PREFIX = "daily/2021-12-09/";
/** Known to the tests only; never used outside them. */
export const E2E_ADMIN_API_KEY = "e2e-admin-key-0123456789abcdefghijklmnop";

const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const BIN = path.join(ROOT, "node_modules/.bin");

export interface Stack {
  baseUrl: string;
  s3Url: string;
  persistDir: string;
  envFile: string;
  stop(): Promise<void>;
}

/**
 * The environment of child processes: Node 22 from node_modules first on PATH (wrangler's
 * [build] runs `node scripts/build-assets.mjs`), no telemetry, and none of the Worker's
 * variables inherited from the caller's environment (wrangler reads process.env for declared
 * vars and secrets).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}` };
  for (const name of Object.keys(env)) {
    if (/^(S3_|INGEST_|RATE_LIMIT_|ADMIN_API_KEY$|ALERT_WEBHOOK_URL$|ENVIRONMENT$|LOG_LEVEL$)/.test(name)) delete env[name];
  }
  env.WRANGLER_SEND_METRICS = "false";
  env.WRANGLER_LOG_PATH = path.join(RESULTS_DIR, "wrangler-logs");
  env.NO_COLOR = "1";
  return env;
}

function logTo(child: ChildProcess, file: string) {
  const out = createWriteStream(file, { flags: "a" });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
}

/** Runs a command to completion; its output goes to `log`. */
export function run(command: string, args: string[], log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    logTo(child, log);
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} ${args.slice(1, 3).join(" ")} exited with ${signal ?? code}; see ${log}`)),
    );
  });
}

export const wrangler = (args: string[], log: string) => run(process.execPath, [WRANGLER, ...args], log);

/** Stops a child and everything in its process group; SIGKILL after a grace period. */
async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  // workerd may outlive wrangler for a moment; make sure the group is gone.
  signal("SIGKILL");
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}; see ${log}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    // Polling a server that is starting: there is no event to wait on.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not become healthy within ${timeoutMs} ms (${last}); see ${log}`);
}

export async function startStack(): Promise<Stack> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const tmp = await mkdtemp(path.join(os.tmpdir(), "game-db-e2e-"));
  const s3Dir = path.join(tmp, "s3");
  const persistDir = path.join(tmp, "state");
  const envFile = path.join(tmp, "e2e.env");
  const logs = { s3: path.join(RESULTS_DIR, "local-s3.log"), migrate: path.join(RESULTS_DIR, "migrations.log"), dev: path.join(RESULTS_DIR, "wrangler-dev.log") };
  for (const file of Object.values(logs)) await writeFile(file, "");
  const children: ChildProcess[] = [];
  // Last resort when the test runner exits without calling stop(): no orphaned workerd.
  const killAll = () => {
    for (const child of children) {
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.once("exit", killAll);

  const stop = async () => {
    await Promise.all([...children].reverse().map((child) => stopGroup(child)));
    process.removeListener("exit", killAll);
    await rm(tmp, { recursive: true, force: true });
  };

  try {
    // 1. Local S3, seeded with the sample files.
    const s3 = await spawnLocalS3({
      dir: s3Dir,
      bucket: BUCKET,
      seed: SEED_PREFIX,
      spawnOptions: { env: childEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
    });
    children.push(s3.child);
    s3.child.stderr!.pipe(createWriteStream(logs.s3, { flags: "a" }));
    const s3Url = `http://127.0.0.1:${s3.port}`;

    // 2. Secrets and local settings for this stack only (wrangler reads --env-file instead of .dev.vars).
    await writeFile(
      envFile,
      [
        `ADMIN_API_KEY=${E2E_ADMIN_API_KEY}`,
        "S3_ACCESS_KEY_ID=S3RVER",
        "S3_SECRET_ACCESS_KEY=S3RVER",
        `S3_ENDPOINT=${s3Url}`,
        `S3_BUCKET=${BUCKET}`,
        "LOG_LEVEL=warn",
        "INGEST_RETRY_BASE_SECONDS=1",
        "",
      ].join("\n"),
    );

    // 3. D1 migrations into the temporary state directory.
    await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], logs.migrate);

    // 4. wrangler dev (its [build] step bundles the UI into public/app/).
    const port = await freePort();
    const inspectorPort = await freePort();
    const dev = spawn(
      process.execPath,
      [
        WRANGLER, "dev",
        "--ip", "127.0.0.1",
        "--port", String(port),
        "--inspector-port", String(inspectorPort),
        "--persist-to", persistDir,
        "--env-file", envFile,
        "--var", `S3_ENDPOINT:${s3Url}`,
        // The scenarios press "Populate now" several times within a minute with one key.
        "--var", "INGEST_POPULATE_COOLDOWN_SECONDS:0",
        "--test-scheduled",
        "--show-interactive-dev-session=false",
        "--log-level", "warn",
      ],
      { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    children.push(dev);
    logTo(dev, logs.dev);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHealth(`${baseUrl}/health`, dev, 90_000, logs.dev);
    return { baseUrl, s3Url, persistDir, envFile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
