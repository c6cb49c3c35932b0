// `npm run dev`: the whole stack offline, no Cloudflare account needed.
// 1. writes .dev.vars from .dev.vars.example when missing;
// 2. starts the local S3-compatible server (s3rver) on 127.0.0.1:4568 with the two sample
//    ranking files under daily/2021-12-09/;
// 3. applies the D1 migrations to the local database;
// 4. runs `wrangler dev` on http://127.0.0.1:8787 with scheduled-event testing, so
//    `curl 'http://127.0.0.1:8787/__scheduled?cron=0+3+*+*+*'` runs an ingestion.
// Ctrl-C stops everything it started.
import path from "node:path";
import { childGroup, ensureDevVars, ROOT, spawnLocalS3 } from "./lib/processes.mjs";

const bin = (name) => path.join(ROOT, "node_modules/.bin", name);
const children = childGroup();

try {
  if (await ensureDevVars()) console.log("dev: wrote .dev.vars from .dev.vars.example");
  const s3 = await spawnLocalS3({ port: 4568, seed: "daily/2021-12-09/" });
  children.adopt(s3.child);
  console.log(`dev: local S3 (s3rver) on http://127.0.0.1:${s3.port}/${s3.bucket}, samples under daily/2021-12-09/`);
  await children.run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"]);
  await children.run(bin("wrangler"), ["dev", "--ip", "127.0.0.1", "--port", "8787", "--test-scheduled"]);
} catch (error) {
  console.error(`dev: ${error.message}`);
  process.exitCode = 1;
} finally {
  children.stopAll();
}
