// `npm run reset:local`: back to a fresh clone's local state, in one command. Deletes the local
// D1 database and KV (.wrangler/state), the local S3's objects (.local/s3) and Deno's database and
// KV (.local/deno) — or their DEV_STATE_DIR counterparts. Keeps .dev.vars. The next `npm run dev`
// applies the migrations again and re-seeds the two sample files.
// Refuses while the local stack runs: its servers hold those files open.
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_PORTS, devSettings, portInUse } from "./lib/local-dev.mjs";
import { ROOT } from "./lib/processes.mjs";

async function main() {
  const settings = devSettings();
  const apiPorts = process.env.DEV_PORT ? [settings.port("dev")] : [DEFAULT_PORTS.dev, DEFAULT_PORTS.deno];
  const busy = [];
  for (const port of [...apiPorts, settings.s3Port]) if (await portInUse(port)) busy.push(port);
  if (busy.length) {
    throw new Error(`something listens on 127.0.0.1:${busy.join(", ")} — stop npm run dev / npm run dev:deno first (Ctrl-C), then run this again`);
  }
  const removed = [];
  for (const dir of Object.values(settings.state)) {
    if (!(await stat(dir).then(() => true, () => false))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(path.relative(ROOT, dir) || dir);
  }
  console.log(removed.length ? `reset:local: removed ${removed.join(", ")}` : "reset:local: nothing to remove; the local state is already fresh");
}

main().catch((error) => {
  console.error(`reset:local: ${error.message}`);
  process.exitCode = 1;
});
