// Where the local stack listens and keeps its state, for the dev scripts, s3:put and reset:local.
// The defaults are the README's: the API on 8787 (`npm run dev`) or 8788 (`npm run dev:deno`),
// the local S3 on 4568, D1 and KV under .wrangler/state, S3 objects under .local/s3, Deno's data
// under .local/deno, secrets in .dev.vars. The DEV_* environment variables move them, so that a
// second stack (the README test, a second checkout) can run next to the first one.
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { parseDevVars, ROOT } from "./processes.mjs";

export const DEFAULT_PORTS = { dev: 8787, deno: 8788, s3: 4568 };

function portFrom(env, name, fallback) {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`${name} must be a TCP port number (0–65535), got "${text}"`);
  return port;
}

/**
 * The local stack's settings from the environment:
 * - DEV_PORT: the API's port (8787 for `npm run dev`, 8788 for `npm run dev:deno`);
 * - DEV_S3_PORT: the local S3's port (4568);
 * - DEV_INSPECTOR_PORT: wrangler's inspector (wrangler picks one when unset);
 * - DEV_STATE_DIR: one directory for all local state (wrangler/, s3/, deno/ inside it);
 * - DEV_VARS_FILE: the secrets file instead of .dev.vars (not created when missing).
 */
export function devSettings(env = process.env) {
  const stateDir = env.DEV_STATE_DIR ? path.resolve(ROOT, env.DEV_STATE_DIR) : undefined;
  return {
    port: (runtime) => portFrom(env, "DEV_PORT", DEFAULT_PORTS[runtime]),
    s3Port: portFrom(env, "DEV_S3_PORT", DEFAULT_PORTS.s3),
    inspectorPort: portFrom(env, "DEV_INSPECTOR_PORT", undefined),
    state: {
      wrangler: stateDir ? path.join(stateDir, "wrangler") : path.join(ROOT, ".wrangler/state"),
      s3: stateDir ? path.join(stateDir, "s3") : path.join(ROOT, ".local/s3"),
      deno: stateDir ? path.join(stateDir, "deno") : path.join(ROOT, ".local/deno"),
    },
    devVarsFile: env.DEV_VARS_FILE ? path.resolve(ROOT, env.DEV_VARS_FILE) : undefined,
  };
}

/** The Worker's variables as `wrangler dev` sees them: wrangler.toml's top-level [vars], overridden by the secrets file. */
export async function localWorkerVars(devVarsFile = path.join(ROOT, ".dev.vars")) {
  // Loaded on demand: wrangler is a large module, and most users of this file do not need it.
  const { unstable_readConfig } = await import("wrangler");
  const { vars } = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }, { hideWarnings: true });
  const devVars = parseDevVars(await readFile(devVarsFile, "utf8").catch(() => ""));
  return { ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])), ...devVars };
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The key of the seeded sample file the dev scripts announce in an example S3 event. */
export const SAMPLE_EVENT_KEY = "daily/2021-12-09/ios.top100.json";

/**
 * A one-line curl posting the EventBridge "Object Created" event of the sample file as it is in
 * the local S3 now (its ETag and size, read with a HEAD), the body an EventBridge API destination
 * would post (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). `$ADMIN`
 * stands for the admin key, which is not printed.
 */
export async function sampleEventCurl({ s3Port, bucket, apiPort, key = SAMPLE_EVENT_KEY }) {
  const head = await fetch(`http://127.0.0.1:${s3Port}/${bucket}/${key}`, { method: "HEAD" });
  if (!head.ok) throw new Error(`HEAD ${key} on the local S3: ${head.status}`);
  const modified = new Date(head.headers.get("Last-Modified") ?? Date.now());
  const event = {
    source: "aws.s3",
    "detail-type": "Object Created",
    time: modified.toISOString().replace(/\.\d{3}Z$/, "Z"),
    detail: {
      bucket: { name: bucket },
      object: {
        key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"),
        size: Number(head.headers.get("Content-Length")),
        etag: (head.headers.get("ETag") ?? "").replace(/"/g, ""),
        sequencer: modified.getTime().toString(16).toUpperCase().padStart(16, "0"),
      },
    },
  };
  return `curl -s -X POST http://127.0.0.1:${apiPort}/api/ingest/events -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '${JSON.stringify(event)}'`;
}
