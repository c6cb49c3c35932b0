// Child processes shared by the dev scripts and the test harnesses: the local S3 server, the
// Deno binary, .dev.vars handling, and a group of children that stops together.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { access, copyFile } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { createInterface } from "node:readline";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Starts scripts/local-s3.mjs (s3rver) as a child process — with --openssl-legacy-provider, which
 * s3rver's paginated listings need on OpenSSL 3 — and resolves once it listens.
 */
export async function spawnLocalS3({ port = 0, dir, bucket, seed, spawnOptions = {} } = {}) {
  const args = ["--openssl-legacy-provider", path.join(ROOT, "scripts/local-s3.mjs"), "--port", String(port)];
  if (dir) args.push("--dir", dir);
  if (bucket) args.push("--bucket", bucket);
  if (seed) args.push("--seed", seed);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], ...spawnOptions });
  const ready = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`local S3 exited with ${code} before it was ready${port ? ` (is port ${port} in use?)` : ""}`)));
    child.once("error", reject);
    createInterface({ input: child.stdout }).once("line", (line) => resolve(JSON.parse(line)));
  });
  return { child, port: ready.port, bucket: ready.bucket };
}

/**
 * The native binary of the `deno` npm package. Not node_modules/.bin/deno: without the package's
 * postinstall (denied in package.json) that is a Node launcher that does not forward signals, so
 * stopping it would orphan the real server.
 */
export function denoBinary() {
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  const dir = path.join(ROOT, "node_modules/@deno");
  const platform = existsSync(dir) ? readdirSync(dir).find((name) => name.startsWith(`${process.platform}-${process.arch}`)) : undefined;
  const candidates = [path.join(ROOT, "node_modules/deno", exe), ...(platform ? [path.join(dir, platform, exe)] : [])];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`no Deno binary for ${process.platform}-${process.arch} under node_modules (run npm ci)`);
  return found;
}

/** Writes .dev.vars from .dev.vars.example when it is missing; true when it wrote it. */
export async function ensureDevVars() {
  try {
    await access(path.join(ROOT, ".dev.vars"));
    return false;
  } catch {
    await copyFile(path.join(ROOT, ".dev.vars.example"), path.join(ROOT, ".dev.vars"));
    return true;
  }
}

/** KEY=VALUE lines as wrangler reads .dev.vars: `#` comments, optional quotes around the value. */
export function parseDevVars(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!match) continue;
    let value = match[2];
    const quoted = value.match(/^(['"])(.*)\1$/);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, "");
    vars[match[1]] = value;
  }
  return vars;
}

/**
 * Children of a dev script: `start` spawns one (inheriting stdio), `run` waits for it to succeed,
 * `adopt` tracks one spawned elsewhere. SIGINT (Ctrl-C) or SIGTERM (a supervisor, `kill`) to this
 * process, or `stopAll()`, stops every child still running — each with its own `stopSignal` if
 * it has one (deno --watch survives SIGTERM, see scripts/dev-deno.mjs), else the signal received —
 * and kills any that is still there after `graceMs`. The process then exits with 128 + the
 * signal's number, as a shell reports a process stopped by it.
 */
export function childGroup({ graceMs = 10_000 } = {}) {
  /** child → how it is stopped: its own signal (undefined: the one this process received), and whether to repeat it. */
  const children = new Map();
  let stopped;
  const adopt = (child, { stopSignal, repeatStopSignal = false } = {}) => {
    children.set(child, { stopSignal, repeat: repeatStopSignal });
    child.on("exit", () => children.delete(child));
    // Adopted while stopping (a signal came during its start): it stops at once.
    if (stopped) void stopChild(child, { signal: stopSignal ?? "SIGTERM", repeat: repeatStopSignal }, graceMs);
    return child;
  };
  const stopAll = (signal = "SIGTERM") => {
    stopped ??= Promise.all([...children].map(([child, own]) => stopChild(child, { signal: own.stopSignal ?? signal, repeat: own.repeat }, graceMs))).then(() => undefined);
    return stopped;
  };
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      process.exitCode = 128 + os.constants.signals[signal];
      void stopAll(signal);
    });
  }
  const start = (command, args, { stopSignal, repeatStopSignal, ...options } = {}) => {
    if (stopped) throw new Error("stopping");
    return adopt(spawn(command, args, { cwd: ROOT, stdio: "inherit", ...options }), { stopSignal, repeatStopSignal });
  };
  const run = (command, args, options = {}) =>
    new Promise((resolve, reject) => {
      const child = start(command, args, options);
      child.on("exit", (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args[0] ?? ""} exited with ${signal ?? code}`)),
      );
      child.on("error", reject);
    });
  return {
    start,
    run,
    adopt,
    stopAll,
    /** True once a signal or `stopAll()` began stopping: a child exiting now is no failure. */
    get stopping() {
      return stopped !== undefined;
    },
  };
}

/** How often a child started with `repeatStopSignal` gets its signal again, as a user presses Ctrl-C again. */
const STOP_SIGNAL_REPEAT_MS = 2_000;

/**
 * Sends `signal` to a child and resolves when it has exited, killing it after `graceMs`; with
 * `repeat`, the signal is sent again until then (see `repeatStopSignal` in scripts/dev-deno.mjs).
 */
function stopChild(child, { signal, repeat }, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.error(`${path.basename(child.spawnfile)} did not exit within ${graceMs / 1000} s of ${signal}; sending SIGKILL`);
      child.kill("SIGKILL");
    }, graceMs);
    const again = repeat ? setInterval(() => child.kill(signal), STOP_SIGNAL_REPEAT_MS) : undefined;
    child.once("exit", () => {
      clearTimeout(timer);
      clearInterval(again);
      resolve();
    });
    child.kill(signal);
  });
}
