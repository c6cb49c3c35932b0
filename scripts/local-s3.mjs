// A local S3-compatible server (s3rver) on loopback, for `npm run dev` and the tests.
//
//   node --openssl-legacy-provider scripts/local-s3.mjs [--port 4568] [--dir .local/s3]
//        [--bucket game-db-rankings] [--seed daily/2021-12-09/]
//
// The port and directory default to DEV_S3_PORT and DEV_STATE_DIR/s3 when those are set
// (scripts/lib/local-dev.mjs).
//
// Prints one JSON line `{"ready":true,"port":…}` when listening. --seed uploads the two sample
// ranking files under the given prefix (if not there yet). s3rver encrypts continuation tokens
// with DES, which OpenSSL 3 only offers with the legacy provider: without the flag every
// paginated listing fails with 500.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import S3rver from "s3rver";
import { devSettings } from "./lib/local-dev.mjs";

const root = path.resolve(import.meta.dirname, "..");
const settings = devSettings();
const { values } = parseArgs({
  options: {
    port: { type: "string", default: String(settings.s3Port) },
    dir: { type: "string", default: settings.state.s3 },
    bucket: { type: "string", default: "game-db-rankings" },
    seed: { type: "string" },
  },
});

const server = new S3rver({
  address: "127.0.0.1",
  port: Number(values.port),
  directory: values.dir,
  silent: true,
  configureBuckets: [{ name: values.bucket }],
});
const { port } = await server.run();
const base = `http://127.0.0.1:${port}/${values.bucket}`;

if (values.seed !== undefined) {
  for (const file of ["ios.top100.json", "android.top100.json"]) {
    const url = `${base}/${values.seed}${file}`;
    if ((await fetch(url, { method: "HEAD" })).ok) continue;
    const body = await readFile(path.join(root, "test/fixtures", file));
    const put = await fetch(url, { method: "PUT", body, headers: { "Content-Type": "application/json" } });
    if (!put.ok) throw new Error(`seeding ${url} failed: ${put.status}`);
  }
}

console.log(JSON.stringify({ ready: true, port, bucket: values.bucket }));
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
