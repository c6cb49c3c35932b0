// `npm run dev:deno`: the same API and ingestion on Deno 2 (src/platform/deno/main.ts), offline.
// 1. writes .dev.vars from .dev.vars.example when missing (as `npm run dev` does);
// 2. starts the local S3-compatible server (s3rver) on 127.0.0.1:4568 with the two sample files
//    under daily/2021-12-09/ — or reuses the one `npm run dev` already runs there;
// 3. runs the Deno server on http://127.0.0.1:8788 (`--port N` to change) with the variables of
//    wrangler.toml's top-level [vars] overridden by .dev.vars (wrangler dev's precedence), its
//    SQLite database and Deno KV under .local/deno/, and `GET /__scheduled` to run the daily
//    job by hand. Deno restarts on source changes (--watch).
// Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { access, copyFile, readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";

const root = path.resolve(import.meta.dirname, "..");

/**
 * The native binary of the `deno` npm package. Not node_modules/.bin/deno: without the package's
 * postinstall (denied in package.json) that is a Node launcher that does not forward signals.
 */
function denoBinary() {
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  const dir = path.join(root, "node_modules/@deno");
  const platform = existsSync(dir) ? readdirSync(dir).find((name) => name.startsWith(`${process.platform}-${process.arch}`)) : undefined;
  const candidates = [path.join(root, "node_modules/deno", exe), ...(platform ? [path.join(dir, platform, exe)] : [])];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`no Deno binary for ${process.platform}-${process.arch} under node_modules (run npm ci)`);
  return found;
}
const children = new Set();
const { values: args } = parseArgs({ options: { port: { type: "string", default: "8788" } } });
const S3_PORT = 4568;

function start(command, argv, options = {}) {
  const child = spawn(command, argv, { cwd: root, stdio: "inherit", ...options });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
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

async function localS3Running(bucket) {
  try {
    const res = await fetch(`http://127.0.0.1:${S3_PORT}/${bucket}?list-type=2&max-keys=1`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function startLocalS3(bucket) {
  if (await localS3Running(bucket)) {
    console.log(`dev:deno: reusing the local S3 already on http://127.0.0.1:${S3_PORT}/${bucket}`);
    return;
  }
  const child = start(
    process.execPath,
    ["--openssl-legacy-provider", path.join(root, "scripts/local-s3.mjs"), "--port", String(S3_PORT), "--bucket", bucket, "--seed", "daily/2021-12-09/"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const ready = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`local S3 exited with ${code} (is port ${S3_PORT} in use?)`)));
    createInterface({ input: child.stdout }).once("line", (line) => resolve(JSON.parse(line)));
  });
  console.log(`dev:deno: local S3 (s3rver) on http://127.0.0.1:${ready.port}/${ready.bucket}, samples under daily/2021-12-09/`);
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
    console.log("dev:deno: wrote .dev.vars from .dev.vars.example");
  }
  const { vars } = unstable_readConfig({ config: path.join(root, "wrangler.toml") }, { hideWarnings: true });
  const devVars = parseDevVars(await readFile(path.join(root, ".dev.vars"), "utf8"));
  const env = {
    ...process.env,
    ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])),
    ...devVars,
    PORT: args.port,
    HOST: "127.0.0.1",
    DATABASE_PATH: ".local/deno/game-db.sqlite",
    KV_PATH: ".local/deno/kv.sqlite",
    TEST_SCHEDULED: "true",
  };
  await startLocalS3(env.S3_BUCKET);
  console.log(`dev:deno: Deno server on http://127.0.0.1:${args.port} (run the daily job: curl http://127.0.0.1:${args.port}/__scheduled)`);
  const deno = start(
    denoBinary(),
    ["run", "--watch", "--allow-net", "--allow-env", "--allow-read", "--allow-write=.local/deno", "src/platform/deno/main.ts"],
    { env },
  );
  await new Promise((resolve, reject) => {
    deno.on("exit", (code, signal) => (code === 0 || signal ? resolve() : reject(new Error(`deno exited with ${code}`))));
    deno.on("error", reject);
  });
} catch (error) {
  console.error(`dev:deno: ${error.message}`);
  process.exitCode = 1;
} finally {
  stopAll();
}
