// `npm run bench:profile` — where the Worker's own JavaScript spends a read's CPU time: a V8 CPU
// profile of the Game DB isolate (through workerd's inspector) while autocannon repeats one
// read, printed as the functions and source files (mapped through the bundle's source map) with
// the most self time per request, with workerd's CPU ms per request and the X-Cache statuses of
// the profiled requests. Evidence for docs/BENCHMARKS.md; it asserts nothing. The sampler's
// wall-clock attribution puts time the isolate waits in a native call (console.log's write, for
// one) on the calling function, so compare variants by workerd CPU ms, not by one row.
//
//   npm run bench:profile -- [--size 10000] [--read list|get|search-hit|search-miss] [--uncached]
//        [--duration 6] [--top 30] [--out profile.cpuprofile] [--var NAME=value …]
//        [--before get:5,search-miss-cached:5]
//
// The setup is bench:api's (bundle, wrangler.toml options, seeded in-memory D1). Uncached reads
// walk distinct URLs as bench:api does; `--before` runs other loads first (`<read>` uncached,
// `<read>-cached` repeated) to see what their state does to this one; `--var` overrides a
// Worker variable (e.g. LOG_LEVEL=warn); `--out` writes the raw profile for Chrome DevTools.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import { Miniflare } from "miniflare";
import { cpuSample, TICK_MS } from "./lib/machine.mjs";
import {
  ADMIN_KEY,
  applyMigrations,
  bundleWorker,
  load,
  loadSourceGames,
  miniflareOptions,
  readsAt,
  request,
  sameIoPayload,
  seed,
  uncachedPaths,
} from "./api.bench.mjs";

const { values: args } = parseArgs({
  options: {
    size: { type: "string", default: "10000" },
    read: { type: "string", default: "search-miss" },
    uncached: { type: "boolean", default: false },
    duration: { type: "string", default: "6" },
    top: { type: "string", default: "30" },
    out: { type: "string" },
    // Worker vars to override, e.g. --var LOG_LEVEL=warn (to see what one ingredient costs).
    var: { type: "string", multiple: true, default: [] },
    before: { type: "string" },
    // Profile the read's same-I/O reference Worker (bench:api's, cached or --uncached) instead.
    reference: { type: "boolean", default: false },
  },
});
const size = Number(args.size);
const INSPECTOR_PORT = 9400 + Math.floor(Math.random() * 500);

/** A minimal Chrome DevTools Protocol session over Node 22's WebSocket. */
async function devtools(url) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let id = 0;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(JSON.stringify(message.error)));
    else waiter.resolve(message.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        pending.set(++id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Self time per function and per source file, mapped through the bundle's source map (it is minified). */
function summarise(profile, map) {
  const original = (frame) => {
    if (!frame.url.endsWith("index.js")) return { file: frame.url || "(native)", name: frame.functionName || "(anonymous)" };
    const at = originalPositionFor(map, { line: frame.lineNumber + 1, column: frame.columnNumber });
    const file = (at.source ?? "(bundle)").replace(/^.*?(node_modules\/(?:@[^/]+\/)?[^/]+|src)\//, "$1/");
    return { file, name: `${at.name ?? frame.functionName ?? "(anonymous)"}:${at.line ?? "?"}` };
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((nodeId, i) => selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + (deltas[i] ?? 0)));
  const byFunction = new Map();
  const byModule = new Map();
  let total = 0;
  for (const [nodeId, us] of selfUs) {
    const frame = byId.get(nodeId).callFrame;
    const { file, name: fn } = original(frame);
    const name = `${fn} — ${file}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const group = ["(idle)", "(program)", "(garbage collector)"].includes(frame.functionName) ? frame.functionName : file;
    byModule.set(group, (byModule.get(group) ?? 0) + us);
    total += us;
  }
  return { byFunction, byModule, total };
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gamedb-profile-"));
  const scriptPath = await bundleWorker(dir);
  const map = new TraceMap(await readFile(`${scriptPath}.map`, "utf8"));
  /** Access-log lines by X-Cache status, to show what the profiled requests did. */
  const cacheStatuses = {};
  const countStatus = (entry) => {
    const status = entry.message.match(/"cache":"?(\w+)/)?.[1];
    if (status) cacheStatuses[status] = (cacheStatuses[status] ?? 0) + 1;
  };
  const mf = new Miniflare(miniflareOptions(scriptPath, countStatus, {
    shared: { inspectorPort: INSPECTOR_PORT },
    bindingsPatch: Object.fromEntries(args.var.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)])),
  }));
  try {
    const base = await mf.ready;
    const db = await mf.getD1Database("DB");
    await applyMigrations(db);
    await seed(db, size, loadSourceGames());
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const paths = Object.fromEntries(readsAt(size).map((r) => [r.id, r.path]));
    const p = paths[args.read];
    if (!p) throw new Error(`--read: one of ${Object.keys(paths).join(", ")}`);
    // Loads to run first (`--before get:8,search-miss-cached:4`), to see how an earlier load's
    // state (KV entries, isolate heap) changes this one.
    for (const step of args.before?.split(",") ?? []) {
      const [name = "", seconds = "0"] = step.split(":");
      const read = name.replace(/-cached$/, "");
      const target = name.endsWith("-cached")
        ? { path: paths[read], headers: admin }
        : { path: paths[read], headers: admin, unique: uncachedPaths(paths[read], { count: size, kv: await mf.getKVNamespace("CACHE") }) };
      await load(base, target, Number(seconds));
      console.log(`before: ${name} for ${seconds} s`);
    }
    let first;
    for (let i = 0; i < 3; i++) first ??= await request(base, { path: p, headers: admin });
    const unique = args.uncached ? uncachedPaths(p, { count: size, kv: await mf.getKVNamespace("CACHE") }) : undefined;
    /** @type {{ path?: string, headers?: Record<string, string>, unique?: (n: number) => string }} */
    let driven = { path: p, headers: admin, unique };
    if (args.reference) {
      // The payloads bench:api gives the references.
      const { entry, ids } = sameIoPayload(/** @type {any} */ (first));
      await /** @type {any} */ (await mf.getKVNamespace("CACHE")).put(`bench-reference:${args.read}`, JSON.stringify(entry));
      driven = {
        path: `/api/${args.read}${args.uncached ? `?ids=${ids}` : ""}`,
        headers: { host: `same-io-${args.uncached ? "uncached" : "cached"}-routed.reference` },
      };
    }
    await load(base, driven, 2);

    const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
    const wanted = args.reference ? `same-io-${args.uncached ? "uncached" : "cached"}-routed` : "game-db";
    const target = targets.find((t) => t.id.endsWith(wanted) || t.title?.endsWith(wanted));
    if (!target) throw new Error(`no inspector target for ${wanted} among ${JSON.stringify(targets.map((t) => t.id))}`);
    const session = await devtools(target.webSocketDebuggerUrl);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 100 });
    await session.send("Profiler.start");
    for (const status of Object.keys(cacheStatuses)) delete cacheStatuses[status];
    const before = cpuSample();
    const result = await load(base, driven, Number(args.duration));
    const after = cpuSample();
    const { profile } = await session.send("Profiler.stop");
    session.close();
    if (args.out) await writeFile(args.out, JSON.stringify(profile));

    const requests = result.requests.total;
    const { byFunction, byModule, total } = summarise(profile, map);
    const ms = (us) => (us / 1000 / requests).toFixed(3);
    const busy = total - (byModule.get("(idle)") ?? 0);
    console.log(`## ${args.reference ? "same-I/O reference of " : ""}${args.read} ${args.uncached ? "uncached" : "cached"} @ ${size.toLocaleString("en-US")} games: ${requests} requests, ${Math.round(result.requests.average)} req/s`);
    console.log(`isolate busy ${ms(busy)} ms/request (sampled JS, GC and runtime calls on the isolate's thread)`);
    console.log(`cache statuses: ${JSON.stringify(cacheStatuses)}`);
    console.log(`workerd CPU ${(((after.workerd - before.workerd) * TICK_MS) / requests).toFixed(3)} ms/request (every thread: the isolate, KV, D1, the rate limiter)\n`);
    console.log("| source file | ms/request |\n|---|--:|");
    for (const [name, us] of [...byModule].filter(([n]) => n !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`| ${name} | ${ms(us)} |`);
    console.log(`\n| function (self time) | ms/request |\n|---|--:|`);
    for (const [name, us] of [...byFunction].filter(([n]) => !n.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`| ${name} | ${ms(us)} |`);
  } finally {
    await mf.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
