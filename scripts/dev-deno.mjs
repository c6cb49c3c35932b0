// `npm run dev:deno`: the same API and ingestion on Deno 2 (src/platform/deno/main.ts), offline.
// 1. writes .dev.vars from .dev.vars.example when missing (as `npm run dev` does);
// 2. starts the local S3-compatible server (s3rver) on 127.0.0.1:4568 with the two sample files
//    under daily/2021-12-09/ — or reuses the one `npm run dev` already runs there;
// 3. runs the Deno server on http://127.0.0.1:8788 (`--port N` to change) with the variables of
//    wrangler.toml's top-level [vars] overridden by .dev.vars (wrangler dev's precedence), its
//    SQLite database and Deno KV under .local/deno/, and `GET /__scheduled` to run the daily
//    job by hand. Deno restarts on source changes (--watch).
// Ctrl-C stops everything it started.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { childGroup, denoBinary, ensureDevVars, parseDevVars, ROOT, spawnLocalS3 } from "./lib/processes.mjs";

const children = childGroup();
const { values: args } = parseArgs({ options: { port: { type: "string", default: "8788" } } });
const S3_PORT = 4568;

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
  const s3 = await spawnLocalS3({ port: S3_PORT, bucket, seed: "daily/2021-12-09/" });
  children.adopt(s3.child);
  console.log(`dev:deno: local S3 (s3rver) on http://127.0.0.1:${s3.port}/${s3.bucket}, samples under daily/2021-12-09/`);
}

try {
  if (await ensureDevVars()) console.log("dev:deno: wrote .dev.vars from .dev.vars.example");
  const { vars } = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }, { hideWarnings: true });
  const devVars = parseDevVars(await readFile(path.join(ROOT, ".dev.vars"), "utf8"));
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
  const deno = children.start(
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
  children.stopAll();
}
