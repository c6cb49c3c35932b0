// `npm run dev:deno`: the same API and ingestion on Deno 2 (src/platform/deno/main.ts), offline.
// 1. writes .dev.vars from .dev.vars.example when missing (as `npm run dev` does);
// 2. starts the local S3-compatible server (s3rver) on 127.0.0.1:4568 with the two sample files
//    under daily/2021-12-09/ — or reuses the one `npm run dev` already runs there;
// 3. runs the Deno server on http://127.0.0.1:8788 (`--port N` or DEV_PORT to change) with the
//    variables of wrangler.toml's top-level [vars] overridden by .dev.vars (wrangler dev's
//    precedence), its SQLite database and Deno KV under .local/deno/, and `GET /__scheduled` to
//    run the daily job by hand. Deno restarts on source changes (--watch).
// DEV_S3_PORT, DEV_STATE_DIR and DEV_VARS_FILE move the rest (scripts/lib/local-dev.mjs).
// Ctrl-C or SIGTERM stops everything it started.
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PORTS, devSettings, localWorkerVars } from "./lib/local-dev.mjs";
import { childGroup, denoBinary, ensureDevVars, spawnLocalS3 } from "./lib/processes.mjs";

const children = childGroup();

async function localS3Running(port, bucket) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/${bucket}?list-type=2&max-keys=1`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function startLocalS3(settings, bucket) {
  if (settings.s3Port !== 0 && (await localS3Running(settings.s3Port, bucket))) {
    console.log(`dev:deno: reusing the local S3 already on http://127.0.0.1:${settings.s3Port}/${bucket}`);
    return settings.s3Port;
  }
  const s3 = await spawnLocalS3({ port: settings.s3Port, dir: settings.state.s3, bucket, seed: "daily/2021-12-09/" });
  children.adopt(s3.child);
  console.log(`dev:deno: local S3 (s3rver) on http://127.0.0.1:${s3.port}/${s3.bucket}, samples under daily/2021-12-09/`);
  return s3.port;
}

try {
  const settings = devSettings();
  const { values: args } = parseArgs({ options: { port: { type: "string", default: String(settings.port("deno")) } } });
  if (!settings.devVarsFile && (await ensureDevVars())) console.log("dev:deno: wrote .dev.vars from .dev.vars.example");
  const vars = await localWorkerVars(settings.devVarsFile);
  const s3Port = await startLocalS3(settings, vars.S3_BUCKET);
  const env = {
    ...process.env,
    ...vars,
    ...(s3Port === DEFAULT_PORTS.s3 ? {} : { S3_ENDPOINT: `http://127.0.0.1:${s3Port}` }),
    PORT: args.port,
    HOST: "127.0.0.1",
    DATABASE_PATH: path.join(settings.state.deno, "game-db.sqlite"),
    KV_PATH: path.join(settings.state.deno, "kv.sqlite"),
    TEST_SCHEDULED: "true",
  };
  console.log(`dev:deno: Deno server on http://127.0.0.1:${args.port} (run the daily job: curl http://127.0.0.1:${args.port}/__scheduled)`);
  const deno = children.start(
    denoBinary(),
    ["run", "--watch", "--allow-net", "--allow-env", "--allow-read", `--allow-write=${settings.state.deno}`, "src/platform/deno/main.ts"],
    // On SIGTERM the server shuts down (src/platform/deno/main.ts) but `deno --watch` stays,
    // waiting for a file change; SIGINT — what Ctrl-C sends — ends the watcher as well. Repeated:
    // when the server's own SIGINT handler exits before the watcher has seen the signal (a race a
    // busy machine makes likely), the watcher waits for a file change, and the next SIGINT ends it.
    { env, stopSignal: "SIGINT", repeatStopSignal: true },
  );
  await new Promise((resolve, reject) => {
    deno.on("exit", (code, signal) => (code === 0 || signal ? resolve() : reject(new Error(`deno exited with ${code}`))));
    deno.on("error", reject);
  });
} catch (error) {
  if (!children.stopping) {
    console.error(`dev:deno: ${error.message}`);
    process.exitCode = 1;
  }
} finally {
  await children.stopAll();
}
