// `npm run dev`: the whole stack offline. Writes .dev.vars when missing, builds the vendored
// assets, applies the D1 migrations locally, then runs `wrangler dev` on 127.0.0.1:8787 with
// scheduled-event testing. Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import { copyFile, access } from "node:fs/promises";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules/.bin", name);
const children = new Set();

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit", ...options });
    children.add(child);
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args[0] ?? ""} exited with ${signal ?? code}`));
    });
    child.on("error", reject);
  });
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
  await run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"]);
  await run(bin("wrangler"), ["dev", "--ip", "127.0.0.1", "--port", "8787", "--test-scheduled"]);
} catch (error) {
  console.error(`dev: ${error.message}`);
  stopAll();
  process.exitCode = 1;
}
