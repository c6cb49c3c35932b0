// `npm run dev`: the whole stack offline, no Cloudflare account needed.
// 1. writes .dev.vars from .dev.vars.example when missing;
// 2. starts the local S3-compatible server (s3rver) on 127.0.0.1:4568 with the two sample
//    ranking files under daily/2021-12-09/;
// 3. applies the D1 migrations to the local database;
// 4. runs `wrangler dev` on http://127.0.0.1:8787 with scheduled-event testing, so
//    `curl 'http://127.0.0.1:8787/__scheduled?cron=0+3+*+*+*'` runs an ingestion.
// It prints a one-line curl that posts the EventBridge event of the seeded iOS sample file to
// POST /api/ingest/events, as S3 would when the file is uploaded.
// Ports, state and secrets file move with DEV_PORT, DEV_S3_PORT, DEV_INSPECTOR_PORT,
// DEV_STATE_DIR and DEV_VARS_FILE (scripts/lib/local-dev.mjs).
// Ctrl-C or SIGTERM stops everything it started.
import path from "node:path";
import { DEFAULT_PORTS, devSettings, sampleEventCurl } from "./lib/local-dev.mjs";
import { childGroup, ensureDevVars, ROOT, spawnLocalS3 } from "./lib/processes.mjs";

const bin = (name) => path.join(ROOT, "node_modules/.bin", name);
const children = childGroup();

try {
  const settings = devSettings();
  const port = settings.port("dev");
  if (!settings.devVarsFile && (await ensureDevVars())) console.log("dev: wrote .dev.vars from .dev.vars.example");
  const s3 = await spawnLocalS3({ port: settings.s3Port, dir: settings.state.s3, seed: "daily/2021-12-09/" });
  children.adopt(s3.child);
  console.log(`dev: local S3 (s3rver) on http://127.0.0.1:${s3.port}/${s3.bucket}, samples under daily/2021-12-09/`);
  const event = await sampleEventCurl({ s3Port: s3.port, bucket: s3.bucket, apiPort: port });
  console.log(`dev: simulate the S3 event of the sample file (ADMIN = ADMIN_API_KEY of .dev.vars; README "Ingestion from S3 events, locally"):\n${event}`);

  const persist = ["--persist-to", settings.state.wrangler];
  await children.run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", ...persist]);
  const env = {
    ...process.env,
    // Offline, miniflare cannot fetch Cloudflare's sample `request.cf` from workers.cloudflare.com
    // and prints a warning with an ENOTFOUND stack trace at every start; not fetching it gives the
    // same placeholder quietly (miniflare's src/cf.ts reads this variable).
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
  };
  await children.run(
    bin("wrangler"),
    [
      "dev",
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--test-scheduled",
      ...persist,
      ...(settings.inspectorPort === undefined ? [] : ["--inspector-port", String(settings.inspectorPort)]),
      ...(settings.devVarsFile ? ["--env-file", settings.devVarsFile] : []),
      // wrangler.toml's S3_ENDPOINT names the default port.
      ...(s3.port === DEFAULT_PORTS.s3 ? [] : ["--var", `S3_ENDPOINT:http://127.0.0.1:${s3.port}`]),
    ],
    { env },
  );
} catch (error) {
  if (!children.stopping) {
    console.error(`dev: ${error.message}`);
    process.exitCode = 1;
  }
} finally {
  await children.stopAll();
}
