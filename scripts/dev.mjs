// `npm run dev`: the whole stack offline, no Cloudflare account needed.
// 1. writes .dev.vars from .dev.vars.example when missing;
// 2. starts the local S3-compatible server (s3rver) on 127.0.0.1:4568 with the two sample
//    ranking files under daily/2021-12-09/;
// 3. applies the D1 migrations to the local database;
// 4. runs `wrangler dev` on http://127.0.0.1:8787 with scheduled-event testing, so
//    `curl 'http://127.0.0.1:8787/__scheduled?cron=0+3+*+*+*'` runs an ingestion.
// Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import { access, copyFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules/.bin", name);
const children = new Set();

function start(command, args, options = {}) {
  const child = spawn(command, args, { cwd: root, stdio: "inherit", ...options });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = start(command, args);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args[0] ?? ""} exited with ${signal ?? code}`)),
    );
    child.on("error", reject);
  });
}

async function startLocalS3() {
  const child = start(
    process.execPath,
    ["--openssl-legacy-provider", path.join(root, "scripts/local-s3.mjs"), "--port", "4568", "--seed", "daily/2021-12-09/"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const ready = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`local S3 exited with ${code} (is port 4568 in use?)`)));
    createInterface({ input: child.stdout }).once("line", (line) => resolve(JSON.parse(line)));
  });
  console.log(`dev: local S3 (s3rver) on http://127.0.0.1:${ready.port}/${ready.bucket}, samples under daily/2021-12-09/`);
}

function stopAll(signal = "SIGTERM") {
  for (const child of children) child.kill(signal);
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopAll(signal);
    process.exitCode = 130;
  });
}

try {
  try {
    await access(path.join(root, ".dev.vars"));
  } catch {
    await copyFile(path.join(root, ".dev.vars.example"), path.join(root, ".dev.vars"));
    console.log("dev: wrote .dev.vars from .dev.vars.example");
  }
  await startLocalS3();
  await run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"]);
  await run(bin("wrangler"), ["dev", "--ip", "127.0.0.1", "--port", "8787", "--test-scheduled"]);
} catch (error) {
  console.error(`dev: ${error.message}`);
  process.exitCode = 1;
} finally {
  stopAll();
}
