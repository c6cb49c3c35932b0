// `npm run <script>` as a developer starts it, on free ports with its state in a temporary
// directory (DEV_* variables, scripts/lib/local-dev.mjs), in a process group of its own so that a
// test can tell whether anything it started is still running.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../../scripts/lib/local-dev.mjs";

export const ROOT = path.resolve(import.meta.dirname, "../../..");

export interface DevScript {
  child: ChildProcess;
  origin: string;
  ports: { api: number; s3: number; inspector: number };
  stateDir: string;
  /** The environment the script runs with (and that README examples run with). */
  env: NodeJS.ProcessEnv;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once npm has exited. */
  exited: Promise<number | string>;
  /** Last resort after a failed test: SIGKILL to the whole group, temporary files removed. */
  destroy(): Promise<void>;
}

/**
 * The caller's environment without anything the Worker or the Deno server would read as its own
 * configuration (wrangler reads process.env for declared vars and secrets when given an env file).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DEV_|S3_|INGEST_|RATE_LIMIT_|ADMIN_API_KEY$|ALERT_WEBHOOK_URL$|ENVIRONMENT$|LOG_LEVEL$|PORT$|HOST$|DATABASE_PATH$|KV_PATH$|CLOUDFLARE_)/.test(name)) {
      delete env[name];
    }
  }
  return env;
}

export async function startDevScript(script: "dev" | "dev:deno", { readyTimeoutMs = 120_000 } = {}): Promise<DevScript> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `game-db-${script.replace(":", "-")}-`));
  // A fresh clone's secrets, as `npm run dev` would write them.
  const varsFile = path.join(stateDir, "dev.vars");
  await copyFile(path.join(ROOT, ".dev.vars.example"), varsFile);
  const ports = { api: await freePort(), s3: await freePort(), inspector: await freePort() };
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    DEV_PORT: String(ports.api),
    DEV_S3_PORT: String(ports.s3),
    DEV_INSPECTOR_PORT: String(ports.inspector),
    DEV_STATE_DIR: stateDir,
    DEV_VARS_FILE: varsFile,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_LOG_PATH: path.join(stateDir, "wrangler-logs"),
    NO_COLOR: "1",
  };
  let output = "";
  const child = spawn("npm", ["run", script], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal!)));
  const origin = `http://127.0.0.1:${ports.api}`;
  const started: DevScript = {
    child,
    origin,
    ports,
    stateDir,
    env,
    output: () => output,
    exited,
    async destroy() {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  try {
    await waitForHealth(started, readyTimeoutMs);
  } catch (error) {
    await started.destroy();
    throw error;
  }
  return started;
}

async function waitForHealth(dev: DevScript, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void dev.exited.then((code) => (exitedWith = code));
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`npm run exited with ${exitedWith} before it was ready:\n${dev.output()}`);
    try {
      const res = await fetch(`${dev.origin}/health`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    // A server that is starting: nothing to wait on but its port.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`not healthy within ${timeoutMs} ms:\n${dev.output()}`);
}

/** Processes of the group that are still running (zombies, already dead, are left out). */
export async function liveProcessesInGroup(pgid: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)("ps", ["-eo", "pid=,pgid=,stat=,args="]);
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && !stat!.startsWith("Z"))
    .map((fields) => [fields[0], ...fields.slice(3)].join(" "));
}

/** True when a server may listen on 127.0.0.1:port right now. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Polls `condition` until it holds or `timeoutMs` passes; the last value either way. */
export async function eventually<T>(probe: () => Promise<T>, holds: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!holds(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await probe();
  }
  return value;
}
