// `npm run bench:ingest` — end-to-end throughput of the ingestion pipeline, run locally with the
// real pieces: s3rver on loopback, the Worker in Miniflare with the queue consumer configured in
// wrangler.toml, and local D1. Method, recorded results and their explanation: docs/BENCHMARKS.md
// ("Ingestion benchmarks").
//
// The Worker is bundled as it deploys and configured from wrangler.toml exactly like the API
// benchmark does (helpers imported from api.bench.mjs); only S3_ENDPOINT points at the bench's
// s3rver. A bench-only entry module wraps the bundle's default export: every handler gets an
// `env` whose `DB` counts statements, batches and the `meta.rows_written` / `meta.rows_read` of
// their results (by handler: scan = populate, queue = consumer, api = the bench's polling). The
// counters are read through `/api/__bench/d1`, a route only that entry module has. src/ is not
// changed for any of this.
//
// Scenarios (one file at a time; the machine is waited on to be quiet before each):
//   samples     the two sample files (ios/android.top100.json, 300 records each), fresh D1
//   generated   a generated N-record file (default 100,000) in the same grouped, pretty-printed
//               format, made by cloning the sample records with unique ids
//   re-ingest   the same bytes again under a newer key: a new ledger row, identical data
//   gzip        the generated file gzipped (.json.gz), into a fresh D1 (skip with --no-gzip)
// Each: upload to s3rver (streamed from disk), `POST /api/games/populate`, poll
// `GET /api/ingest/runs/{id}` until every file is finished; records/s = records seen / (populate
// call → last file's finished_at). The ledger gives the consumer's own time (started_at →
// finished_at) and the time in the queue (sent_at → started_at).
//
// The native reference (issue 10): Node's JSON.parse of the whole generated file, in a child
// process, in the same run; the end-to-end rate is reported as a share of its rate.
//
// To explain the figures it also measures, on the generated file: the product's parser
// (src/core/ingest/parse/file-records.ts, bundled with esbuild) and validator (record.ts) in
// Node, and the same code as a second Worker in the same workerd, one pass each: the bare body
// stream with its default reader and with a 64 KiB BYOB reader, download through the product's
// guard, + parse, + validate and staging payload encode; and one experiment (not product code):
// the product's record scanner with records decoded and parsed in 1 MiB batches.
//
// Full run: about 3 minutes and 1.3 GB of temporary disk (the 400 MiB file, s3rver's copies).
//
// Usage: npm run bench:ingest [-- --quick] [-- --records 100000] [-- --no-gzip] [-- --json out.json]
//        npm run bench:ingest -- --large [N]   only the caps scenario: N slim NDJSON records (default 500,000)
//        npm run bench:ingest -- --events [N]  only the event path: N uploads (default 10), each announced by
//                        its EventBridge event (POST /api/ingest/events), timed until its game is readable
//                        through the API; the same for one upload found by a scan (populate), for comparison
//   --quick         20,000-record generated file (smoke run, about 45 s)
//   --records N     size of the generated file (default 100,000)
//   --no-gzip       skip the gzip scenario
//   --no-wait       never wait for other processes to go quiet
//   --keep          keep the temporary directory (generated files, s3rver data) and print it
//   --json f.json   also write the raw results; --report f.json prints their report again
//   BENCH_DATA_DIR  where ios.top100.json / android.top100.json are (default test/fixtures)
// Exits non-zero if a file does not end `done`, a count differs from what the file holds (as the
// product's parser and validator count it in Node), staging rows are left behind, the identical
// re-ingest writes a game row (ledger) or any row in its merge statement (D1 meta), or the Worker
// logs an error.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { spawnLocalS3 } from "../scripts/lib/processes.mjs";
import { ADMIN_KEY, applyMigrations, bundleWorker, miniflareOptions, request } from "./api.bench.mjs";
import { cpuBetween, cpuSample, descends, environment, processTable, QUIET_CORES, waitForQuiet as waitForQuietMachine } from "./lib/machine.mjs";

const root = path.resolve(import.meta.dirname, "..");

// ---------------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    records: { type: "string" },
    large: { type: "string" },
    events: { type: "string" },
    "no-gzip": { type: "boolean", default: false },
    "no-wait": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
    report: { type: "string" },
  },
});
const QUICK = args.quick;
const RECORDS = Number(args.records ?? (QUICK ? 20_000 : 100_000));
if (!Number.isInteger(RECORDS) || RECORDS < 3) throw new Error(`--records: ${args.records} is not a usable record count`);
const WITH_GZIP = !args["no-gzip"];
/** `--large N`: only the cap scenario, a file of N slim records (default 500,000, the record cap). */
const LARGE = args.large === undefined ? null : Number(args.large || 500_000);
if (LARGE !== null && (!Number.isInteger(LARGE) || LARGE < 1)) throw new Error(`--large: ${args.large} is not a record count`);
/** `--events N`: only the event-path scenario, N uploads announced one by one (default 10). */
const EVENTS = args.events === undefined ? null : Number(args.events || 10);
if (EVENTS !== null && (!Number.isInteger(EVENTS) || EVENTS < 1)) throw new Error(`--events: ${args.events} is not an upload count`);
const DATA_DIR = process.env.BENCH_DATA_DIR ?? path.join(root, "test/fixtures");
const SAMPLE_FILES = ["ios.top100.json", "android.top100.json"];
/** The bucket and prefix of wrangler.toml (top level); only the endpoint is the bench's. */
const BUCKET = "game-db-rankings";
const PREFIX = "daily/";

/** Targets from issue 3, point 10, and issue 10, point 7 (a share of Node's JSON.parse rate of the same file). */
const TARGETS = { recordsPerSecond: 5_000, reingestRowsWritten: 0, shareOfNative: 0.25 };

// ---------------------------------------------------------------------------------------------
// Small helpers

const fmt = (n, digits = 0) => (n ?? NaN).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...parts) => console.error(`[bench:ingest] ${parts.join(" ")}`);
const mib = (bytes) => `${fmt(bytes / 1024 / 1024, 1)} MiB`;
const per1k = (n, records) => (n * 1000) / records;
/** A per-1,000 figure: small ones keep two decimals. */
const fmtRate = (n) => fmt(n, Math.abs(n) < 10 && n !== 0 ? 2 : 0);

function run(command, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${argv.join(" ")} failed (${code}):\n${output}`))));
  });
}

class BenchFailure extends Error {}

// ---------------------------------------------------------------------------------------------
// CPU accounting (bench/lib/machine.mjs): CPU of workerd, of s3rver and of this process,
// and how many cores other processes used meanwhile. 2-core shared machine: wait for quiet.

const QUIET_WAIT_MS = 60_000;

async function waitForQuiet(label, s3Pid) {
  if (args["no-wait"]) return;
  await waitForQuietMachine(label, { maxWaitMs: QUIET_WAIT_MS, s3Pid, log });
}

/** Never run two loads at once: wait for another benchmark of this repository to finish. */
async function waitForOtherBenchmarks() {
  if (args["no-wait"]) return;
  const started = Date.now();
  let warned = false;
  while (Date.now() - started < 20 * 60_000) {
    const table = processTable();
    const mine = new Set();
    for (let p = process.pid; p > 1; p = table.get(p)?.ppid ?? 0) mine.add(p); // npm, sh, timeout…
    const others = [];
    for (const pid of table.keys()) {
      if (mine.has(pid) || descends(table, pid, process.pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        if (/test\/bench\/[\w.-]+\.mjs|bench:(api|ingest)/.test(cmd)) others.push(`${pid} ${cmd.slice(0, 80)}`);
      } catch {
        // exited meanwhile
      }
    }
    if (others.length === 0) return;
    if (!warned) log(`another benchmark is running (${others.join("; ")}); waiting for it to finish`);
    warned = true;
    await sleep(5_000);
  }
  log("WARNING: another benchmark is still running after 20 minutes; going ahead");
}

// ---------------------------------------------------------------------------------------------
// Data

function loadSampleGroups() {
  const byPlatform = {};
  for (const file of SAMPLE_FILES) {
    const full = path.join(DATA_DIR, file);
    if (!existsSync(full)) throw new BenchFailure(`${full} not found (set BENCH_DATA_DIR to the directory of the sample files)`);
    const groups = JSON.parse(readFileSync(full, "utf8"));
    if (!Array.isArray(groups) || !groups.every(Array.isArray)) throw new BenchFailure(`${full} is not in the grouped format`);
    byPlatform[file.split(".")[0]] = groups;
  }
  return byPlatform;
}

const SUFFIXES = ["Deluxe", "Legends", "Pocket", "Online", "HD", "Classic", "Arena", "Tycoon", "World", "Heroes"];

/**
 * Writes `count` records in the sample files' format: a JSON array of groups of 3 records,
 * pretty-printed with 2 spaces. Groups alternate between iOS and Android sample groups; every
 * record is a clone of its sample record (all ~50 fields) with a unique id — iOS: numeric
 * `app_id`/`id`/`appId`; Android: a package name — the group's chart position as `rank`, and from
 * the second pass over the samples a suffixed name (as distinct names are in reality).
 */
async function generateFile(file, count, samples) {
  const out = createWriteStream(file);
  const sources = [];
  for (let i = 0; i < Math.max(samples.ios.length, samples.android.length); i++) {
    if (samples.ios[i]) sources.push(samples.ios[i]);
    if (samples.android[i]) sources.push(samples.android[i]);
  }
  let written = 0;
  let buffer = "[\n";
  for (let g = 0; written < count; g++) {
    const source = sources[g % sources.length];
    const cycle = Math.floor(g / sources.length);
    const group = [];
    for (const record of source) {
      if (written >= count) break;
      const clone = { ...record };
      const n = written++;
      const id = clone.os === "ios" ? 2_000_000_000 + n : `com.bench.generated${n}`;
      clone.app_id = clone.id = clone.appId = id;
      if (cycle > 0 && typeof clone.name === "string") clone.name = `${clone.name} ${SUFFIXES[cycle % SUFFIXES.length]} ${Math.ceil(cycle / SUFFIXES.length)}`;
      clone.rank = g + 1;
      group.push(clone);
    }
    buffer += (g ? ",\n" : "") + JSON.stringify(group, null, 2).replace(/^/gm, "  ");
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(`${buffer}\n]\n`);
  await once(out, "finish");
  return statSync(file).size;
}

/**
 * Writes `count` slim records as NDJSON: only the fields Game DB reads (about 250 bytes each, a
 * sixth of a sample record), alternating iOS and Android with unique ids — the largest file the
 * caps let through by record count (500,000 records, ~130 MB, far below the 1 GiB byte cap).
 */
async function generateSlimFile(file, count) {
  const out = createWriteStream(file);
  let buffer = "";
  for (let n = 0; n < count; n++) {
    const ios = n % 2 === 0;
    const id = ios ? 3_000_000_000 + n : `com.bench.slim${n}`;
    const record = {
      os: ios ? "ios" : "android",
      app_id: id,
      name: `${SUFFIXES[n % SUFFIXES.length]} Game ${n}`,
      publisher_id: ios ? 500_000 + (n % 997) : `pub${n % 997}`,
      publisher_name: `Publisher ${n % 997}`,
      bundle_id: ios ? `com.bench.slim${n}` : id,
      version: `1.${n % 50}.0`,
      icon_url: `https://example.com/icons/${n}.png`,
      rank: (n % 100_000) + 1,
    };
    buffer += `${JSON.stringify(record)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await once(out, "finish");
  return statSync(file).size;
}

async function gzipFile(from, to) {
  await pipeline(createReadStream(from), createGzip(), createWriteStream(to));
  return statSync(to).size;
}

// ---------------------------------------------------------------------------------------------
// The product's parser and validator, bundled for Node (reference) and for workerd (stages)

/** Bench-only Worker: the product's download guard, gunzip, parser and validator, stage by stage. */
const STAGES_WORKER = `
import { guardedChunks, gunzipIfNeeded } from "../src/core/ingest/parse/guarded-body";
import { fileRecords } from "../src/core/ingest/parse/file-records";
import { RecordScanner } from "../src/core/ingest/parse/record-scanner";
import { toGameRecord } from "../src/core/ingest/record";
import { StagingPayloads, stagingJson } from "../src/core/data/staging";

/**
 * Experiment, not product code: the product's scanner, but its records copied into batches of
 * up to "size" bytes, each decoded once and parsed by one JSON.parse of "[r1,r2,…]" (the product
 * decodes and parses record by record). Counts the records.
 */
async function batchParse(chunks, size, target) {
  const scanner = new RecordScanner({ grouped: true, maxRecordBytes: 1048576, what: target });
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let batch = new Uint8Array(size);
  let length = 0;
  let records = 0;
  const flush = () => {
    if (length === 0) return;
    batch[length] = 0x5d;
    records += JSON.parse(decoder.decode(batch.subarray(0, length + 1))).length;
    length = 0;
  };
  const sink = (bytes) => {
    if (length + bytes.length + 2 > batch.length) flush();
    if (bytes.length + 2 > batch.length) batch = new Uint8Array(bytes.length + 2);
    batch[length] = length === 0 ? 0x5b : 0x2c;
    length++;
    batch.set(bytes, length);
    length += bytes.length;
  };
  for await (const chunk of chunks) scanner.push(chunk, sink);
  scanner.end();
  flush();
  return records;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const target = url.searchParams.get("url");
    const upto = url.searchParams.get("upto");
    const response = await fetch(target);
    if (!response.ok) return new Response("GET " + target + ": " + response.status, { status: 502 });
    const contentLength = Number(response.headers.get("content-length") ?? NaN);
    const chunks = gunzipIfNeeded(
      guardedChunks(response.body, { contentLength: Number.isFinite(contentLength) ? contentLength : null, idleTimeoutMs: 30000, what: target }),
      target,
    );
    const out = { bytes: 0, chunks: 0, records: 0, valid: 0, payloadBytes: 0 };
    if (upto === "raw") {
      // The runtime's body stream alone, with its default reader (workerd hands 4 KiB chunks).
      const reader = response.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        out.bytes += r.value.byteLength;
        out.chunks++;
      }
      return Response.json(out);
    }
    if (upto === "raw-byob") {
      // The same body read into 64 KiB buffers by a BYOB reader, as the product's guard reads it.
      const reader = response.body.getReader({ mode: "byob" });
      for (;;) {
        const r = await reader.read(new Uint8Array(64 * 1024));
        if (r.done) break;
        out.bytes += r.value.byteLength;
        out.chunks++;
      }
      return Response.json(out);
    }
    if (upto === "download") {
      for await (const chunk of chunks) {
        out.bytes += chunk.byteLength;
        out.chunks++;
      }
      return Response.json(out);
    }
    if (upto === "parse-batch") {
      out.records = await batchParse(chunks, Number(url.searchParams.get("batch")), target);
      return Response.json(out);
    }
    const payloads = new StagingPayloads(1900000);
    for await (const record of fileRecords(chunks, target)) {
      out.records++;
      if (upto === "parse") continue;
      const result = "error" in record ? { ok: false } : toGameRecord(record.value, record.group);
      if (!result.ok) continue;
      out.valid++;
      // The staging payloads of data/staging.ts, as the consumer packs them (INGEST_LIMITS.stagePayloadBytes).
      const full = payloads.add(stagingJson(result.game));
      if (full) out.payloadBytes += full.length;
    }
    const last = payloads.take();
    if (last) out.payloadBytes += last.length;
    return Response.json(out);
  },
};
`;

const NODE_PARSER = `
export { fileRecords } from "../src/core/ingest/parse/file-records";
export { toGameRecord } from "../src/core/ingest/record";
`;

async function bundleProductCode(dir) {
  /** @type {import("esbuild").BuildOptions} */
  const common = { bundle: true, format: "esm", target: "es2022", write: true, logLevel: "error" };
  const stages = path.join(dir, "stages.mjs");
  await esbuild.build({
    ...common,
    stdin: { contents: STAGES_WORKER, resolveDir: import.meta.dirname, loader: "js", sourcefile: "ingest-stages.worker.js" },
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    outfile: stages,
  });
  const node = path.join(dir, "node-parser.mjs");
  await esbuild.build({ ...common, stdin: { contents: NODE_PARSER, resolveDir: import.meta.dirname, loader: "js" }, platform: "node", outfile: node });
  return { stagesScript: stages, nodeParser: await import(pathToFileURL(node).href) };
}

/** Child process: Node reads, decodes and JSON.parses a whole grouped file, and counts its records. */
const NATIVE_PARSE = `
const { readFileSync } = require("node:fs");
const t0 = performance.now();
const bytes = readFileSync(process.argv[2]);
const t1 = performance.now();
const text = new TextDecoder().decode(bytes);
const t2 = performance.now();
const doc = JSON.parse(text);
const t3 = performance.now();
let records = 0;
for (const group of doc) records += group.length;
console.log(JSON.stringify({ readS: (t1 - t0) / 1000, decodeS: (t2 - t1) / 1000, seconds: (t3 - t2) / 1000, records }));
`;

/**
 * The native reference of issue 10: Node's JSON.parse of the whole file, already in memory as
 * text (\`seconds\`; reading and decoding it are timed apart). In a child process, so that its
 * ~2 GB of heap is not this process's.
 */
async function nativePass(file, dir) {
  const script = path.join(dir, "native-parse.cjs");
  await writeFile(script, NATIVE_PARSE);
  const sampleStart = cpuSample(0);
  const output = await run(process.execPath, ["--max-old-space-size=8192", script, file]);
  const result = JSON.parse(output.trim().split("\n").pop());
  return { ...result, cpu: cpuBetween(sampleStart, cpuSample(0)) };
}

/**
 * Runs the product's parser over a file in Node (64 KiB reads), optionally validating: the
 * reference for parse speed, and the source of every count the bench expects from the Worker.
 */
async function nodePass(parser, file, { validate }) {
  const what = path.basename(file);
  const seen = new Set();
  const out = { records: 0, rejected: 0, distinct: 0, rejection: null };
  const start = performance.now();
  const sampleStart = cpuSample(0);
  for await (const record of parser.fileRecords(createReadStream(file, { highWaterMark: 64 * 1024 }), what)) {
    out.records++;
    if (!validate) continue;
    const result = "error" in record ? { ok: false } : parser.toGameRecord(record.value, record.group);
    if (!result.ok) {
      out.rejected++;
      out.rejection ??= "error" in record ? record.error : result.reason;
    }
    else seen.add(`${result.game.platform}\u0000${result.game.storeId}`);
  }
  out.distinct = seen.size;
  out.seconds = (performance.now() - start) / 1000;
  out.cpu = cpuBetween(sampleStart, cpuSample(0));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The Worker under test, with counted D1

/**
 * Bench-only entry module: wraps the bundle's handlers and gives them an env whose DB counts.
 * `raw()` (drizzle's path for typed selects and RETURNING) is served by `all()` and mapped to
 * arrays the way drizzle's own batch path does, so that its meta is counted too.
 */
const BENCH_ENTRY = `
import worker from "./index.mjs";

const counters = {};
function category(sql) {
  const s = sql.replace(/\\s+/g, " ").trim().toLowerCase();
  if (/^insert into "?ingest_staging"?/.test(s)) return "stage games";
  if (/^delete from "?ingest_staging"?/.test(s)) return "drop staging";
  if (/^insert into "?games"?/.test(s)) return "merge games";
  if (/^update "?games"? set "?source_key"?/.test(s)) return "re-date games";
  if (/^update "?ingest_files"? set .*"?attempts"? =/.test(s)) return "ledger: claim";
  if (/^(insert into|update) "?ingest_(files|runs)"?/.test(s)) return "ledger: write";
  if (/ingest_(files|runs)/.test(s)) return "ledger: read";
  return "other";
}
function add(bucket, name, { statements = 0, batches = 0, meta, ms = 0 }) {
  const b = (counters[bucket] ??= {});
  const c = (b[name] ??= { statements: 0, batches: 0, rowsWritten: 0, rowsRead: 0, ms: 0, noMeta: 0 });
  c.statements += statements;
  c.batches += batches;
  c.ms += ms;
  if (meta) {
    c.rowsWritten += meta.rows_written ?? 0;
    c.rowsRead += meta.rows_read ?? 0;
  } else if (statements) c.noMeta += statements;
}

class CountedStatement {
  constructor(real, sql, bucket) {
    this.real = real;
    this.sql = sql;
    this.bucket = bucket;
  }
  bind(...params) {
    return new CountedStatement(this.real.bind(...params), this.sql, this.bucket);
  }
  async #timed(call, withMeta) {
    const t0 = Date.now();
    const result = await call();
    add(this.bucket, category(this.sql), { statements: 1, meta: withMeta ? result.meta : undefined, ms: Date.now() - t0 });
    return result;
  }
  run() {
    return this.#timed(() => this.real.run(), true);
  }
  all() {
    return this.#timed(() => this.real.all(), true);
  }
  async raw(options) {
    if (options?.columnNames) return this.#timed(() => this.real.raw(options), false);
    const result = await this.#timed(() => this.real.all(), true);
    return result.results.map((row) => Object.values(row));
  }
  first(column) {
    return this.#timed(() => this.real.first(column), false);
  }
}

function countedDb(db, bucket) {
  return {
    prepare: (sql) => new CountedStatement(db.prepare(sql), sql, bucket),
    async batch(statements) {
      const t0 = Date.now();
      const results = await db.batch(statements.map((s) => s.real ?? s));
      const ms = Date.now() - t0;
      const commit = statements.some((s) => s.sql && category(s.sql) === "merge games");
      statements.forEach((s, i) => add(bucket, (commit ? "commit: " : "batch: ") + category(s.sql ?? ""), { statements: 1, meta: results[i]?.meta }));
      add(bucket, commit ? "commit: (batch)" : "batch: (batch)", { batches: 1, ms });
      return results;
    },
    exec: (sql) => {
      add(bucket, "exec", { statements: 1 });
      return db.exec(sql);
    },
    dump: () => db.dump(),
    // The Worker runs each request, message and cron run in a D1 session (src/platform/cloudflare/database.ts): count its statements too.
    withSession: (...a) => {
      const session = db.withSession(...a);
      return { ...countedDb(session, bucket), getBookmark: () => session.getBookmark() };
    },
  };
}

const wrapped = new WeakMap();
function envFor(env, bucket) {
  let byBucket = wrapped.get(env);
  if (!byBucket) wrapped.set(env, (byBucket = {}));
  if (!byBucket[bucket]) {
    const copy = {};
    for (const key of Object.keys(env)) copy[key] = env[key];
    copy.DB = countedDb(env.DB, bucket);
    byBucket[bucket] = copy;
  }
  return byBucket[bucket];
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/api/__bench/d1") {
      const snapshot = JSON.parse(JSON.stringify(counters));
      if (request.method === "POST") for (const key of Object.keys(counters)) delete counters[key];
      return Response.json(snapshot);
    }
    const bucket = url.pathname === "/api/games/populate" ? "scan" : url.pathname === "/api/ingest/events" ? "event" : "api";
    return worker.fetch(request, envFor(env, bucket), ctx);
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, envFor(env, "scan"), ctx);
  },
  queue(batch, env, ctx) {
    return worker.queue(batch, envFor(env, "queue"), ctx);
  },
};
`;

async function prepareWorker(dir) {
  const bundle = await bundleWorker(dir);
  await rename(bundle, path.join(dir, "index.mjs"));
  // One module, as the deployed Worker is: the wrapper and the untouched bundle it imports.
  const entry = path.join(dir, "bench-entry.mjs");
  await esbuild.build({
    stdin: { contents: BENCH_ENTRY, resolveDir: dir, loader: "js", sourcefile: "bench-entry.js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: false,
    outfile: entry,
    logLevel: "error",
  });
  return entry;
}

async function startWorker(entry, s3Port, stagesScript) {
  const errors = [];
  let logLines = 0;
  const options = miniflareOptions(
    entry,
    (e) => {
      logLines++;
      if (e.level === "error" && errors.length < 10) errors.push(String(e.message).slice(0, 400));
    },
    {
      // The scenarios populate one after another with one key: no cooldown between them.
      bindingsPatch: { S3_ENDPOINT: `http://127.0.0.1:${s3Port}`, S3_BUCKET: BUCKET, S3_PREFIX: PREFIX, INGEST_POPULATE_COOLDOWN_SECONDS: "0" },
      extraWorkers: stagesScript ? [{ name: "ingest-stages", modules: true, scriptPath: stagesScript, modulesRoot: path.dirname(stagesScript), compatibilityDate: "2026-11-01", routes: ["stages.bench/*"] }] : [],
    },
  );
  const mf = new Miniflare(options);
  const base = await mf.ready;
  const db = await mf.getD1Database("DB");
  await applyMigrations(db);
  return { mf, base, db, errors, logLines: () => logLines };
}

// ---------------------------------------------------------------------------------------------
// S3

/** PUT an object to s3rver, streamed from disk (s3rver does not check signatures). */
function putObject(port, key, file) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "PUT",
        path: `/${BUCKET}/${key}`,
        headers: { "content-length": statSync(file).size, "content-type": key.endsWith(".gz") ? "application/gzip" : "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(res.headers.etag) : reject(new Error(`PUT ${key}: ${res.statusCode} ${text.slice(0, 200)}`))));
      },
    );
    req.on("error", reject);
    pipeline(createReadStream(file), req).catch(reject);
  });
}

function deleteObject(port, key) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "DELETE", path: `/${BUCKET}/${key}` }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 204 || res.statusCode === 200 ? resolve(undefined) : reject(new Error(`DELETE ${key}: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// One ingestion

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

async function d1Counters(base, reset) {
  const r = await request(base, { method: reset ? "POST" : "GET", path: "/api/__bench/d1" });
  if (r.status !== 200) throw new Error(`/api/__bench/d1: ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text);
}

/**
 * Uploads `files` ([{key, path, expect}]), runs populate, waits for every file of the run to
 * finish and checks the ledger against what the files hold.
 */
async function ingest(worker, s3, label, files, { expectGamesWritten, expectGamesTotal }) {
  for (const f of files) f.etag = await putObject(s3.port, f.key, f.path);
  await waitForQuiet(label, s3.child.pid);
  await d1Counters(worker.base, true);
  const cpuStart = cpuSample(s3.child.pid);
  const t0 = Date.now();
  const populate = await request(worker.base, { method: "POST", path: "/api/games/populate", headers: admin });
  const populateMs = Date.now() - t0;
  if (populate.status !== 202) throw new BenchFailure(`${label}: populate answered ${populate.status}: ${populate.text.slice(0, 300)}`);
  const { runId, filesEnqueued } = JSON.parse(populate.text);
  if (filesEnqueued !== files.length) throw new BenchFailure(`${label}: populate enqueued ${filesEnqueued} files, expected ${files.length}`);

  let detail;
  let polls = 0;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    await sleep(Date.now() - t0 < 3_000 ? 100 : 500);
    const r = await request(worker.base, { path: `/api/ingest/runs/${runId}`, headers: admin });
    polls++;
    if (r.status !== 200) throw new BenchFailure(`${label}: GET /api/ingest/runs/${runId}: ${r.status} ${r.text.slice(0, 300)}`);
    detail = JSON.parse(r.text);
    if (!detail.inProgress) break;
    if (Date.now() > deadline) throw new BenchFailure(`${label}: run ${runId} still in progress after 15 minutes`);
  }
  const observedMs = Date.now() - t0;
  const cpu = cpuBetween(cpuStart, cpuSample(s3.child.pid));
  const counters = await d1Counters(worker.base, true);

  const problems = [];
  const rows = [];
  for (const f of files) {
    const row = detail.files.find((x) => x.key === f.key);
    if (!row) {
      problems.push(`${f.key}: not in run ${runId}`);
      continue;
    }
    rows.push({ ...row, expect: f.expect, size: statSync(f.path).size });
    if (row.status !== "done") problems.push(`${f.key}: ended ${row.status} (${row.lastError ?? "no error"})`);
    const want = { recordsSeen: f.expect.records, recordsRejected: f.expect.rejected, recordsUpserted: f.expect.distinct };
    for (const [k, v] of Object.entries(want)) if (row[k] !== v) problems.push(`${f.key}: ${k} ${row[k]}, expected ${v}`);
  }
  const gamesWritten = rows.reduce((a, r) => a + (r.gamesWritten ?? 0), 0);
  if (gamesWritten !== expectGamesWritten) problems.push(`games written ${gamesWritten}, expected ${expectGamesWritten}`);
  const { n: gamesTotal } = await worker.db.prepare("SELECT count(*) AS n FROM games").first();
  if (gamesTotal !== expectGamesTotal) problems.push(`games table has ${gamesTotal} rows, expected ${expectGamesTotal}`);
  const { n: staged } = await worker.db.prepare("SELECT count(*) AS n FROM ingest_staging").first();
  if (staged !== 0) problems.push(`${staged} rows left in ingest_staging`);

  const finished = Math.max(...rows.map((r) => Date.parse(r.finishedAt)));
  const wallMs = finished - t0;
  const records = rows.reduce((a, r) => a + (r.recordsSeen ?? 0), 0);
  const result = {
    label,
    runId,
    files: rows.map((r) => ({
      key: r.key,
      size: r.size,
      status: r.status,
      recordsSeen: r.recordsSeen,
      recordsRejected: r.recordsRejected,
      recordsUpserted: r.recordsUpserted,
      gamesWritten: r.gamesWritten,
      queueMs: Math.max(0, Date.parse(r.startedAt) - Date.parse(r.sentAt)),
      consumerMs: Date.parse(r.finishedAt) - Date.parse(r.startedAt),
      startOffsetMs: Date.parse(r.startedAt) - t0,
    })),
    records,
    bytes: rows.reduce((a, r) => a + r.size, 0),
    populateMs,
    wallMs,
    observedMs,
    recordsPerSecond: records / (wallMs / 1000),
    gamesWritten,
    gamesTotal,
    cpu,
    polls,
    counters,
    problems,
  };
  log(
    `${label}: ${fmt(records)} records in ${fmt(wallMs / 1000, 2)} s = ${fmt(result.recordsPerSecond)} records/s end to end; ` +
      `consumer ${result.files.map((f) => `${fmt(f.consumerMs / 1000, 2)} s`).join(" + ")}; games written ${fmt(gamesWritten)}; ` +
      `workerd ${fmt(cpu.workerdS, 1)} CPU s, s3rver ${fmt(cpu.s3S, 1)} CPU s, other processes ${fmt(cpu.foreign, 2)} cores` +
      (problems.length ? `; PROBLEMS: ${problems.join("; ")}` : ""),
  );
  return result;
}

/** The reference passes run this many times each; the fastest counts (they vary by ±10 % here). */
const PASS_REPEATS = 2;

async function bestOf(times, pass) {
  let best;
  for (let i = 0; i < times; i++) {
    const result = await pass();
    if (!best || result.seconds < best.seconds) best = result;
  }
  return { ...best, runs: times };
}

/** One pass of the stages Worker over an object; wall time measured here. */
async function stagePass(worker, s3, key, upto, batchBytes) {
  await waitForQuiet(`stages ${upto}`, s3.child.pid);
  const url = `http://127.0.0.1:${s3.port}/${BUCKET}/${key}`;
  const cpuStart = cpuSample(s3.child.pid);
  const t0 = performance.now();
  const query = `/?upto=${upto}&url=${encodeURIComponent(url)}${batchBytes ? `&batch=${batchBytes}` : ""}`;
  const r = await request(worker.base, { path: query, headers: { host: "stages.bench" } });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(cpuStart, cpuSample(s3.child.pid));
  if (r.status !== 200) throw new BenchFailure(`stages ${upto} ${key}: ${r.status} ${r.text.slice(0, 300)}`);
  const out = { upto, batchBytes, key, seconds, cpu, ...JSON.parse(r.text) };
  log(
    `workerd ${upto}${batchBytes ? ` (batches of ${batchBytes} B)` : ""} ${key}: ${fmt(seconds, 2)} s ` +
      `(${out.records ? `${fmt(out.records)} records, ` : ""}workerd ${fmt(cpu.workerdS, 1)} CPU s, s3rver ${fmt(cpu.s3S, 1)} CPU s, other processes ${fmt(cpu.foreign, 2)} cores)`,
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report


function sumCounters(bucket) {
  const total = { statements: 0, batches: 0, rowsWritten: 0, rowsRead: 0, ms: 0, noMeta: 0 };
  for (const c of Object.values(bucket ?? {})) for (const k of Object.keys(total)) total[k] += c[k];
  return total;
}

function report(r) {
  const out = [];
  const line = (s = "") => out.push(s);
  const { env } = r;
  line(`## Ingestion benchmark — ${env.date}`);
  line();
  line(`Command: \`${r.command}\` · git ${r.gitRevision}`);
  line(
    `Machine: ${env.cpus} CPUs (${env.cpu}), ${env.memoryGiB} GiB · Node ${env.node} · miniflare ${env.miniflare} · workerd ${env.workerd} · ` +
      `wrangler ${env.wrangler} · s3rver ${env.s3rver}${env.streamparser ? ` · @streamparser/json ${env.streamparser}` : ""} · zod ${env.zod}`,
  );
  line();
  line("### Files");
  line();
  line("| file | layout | size | records | rejected | distinct games |");
  line("|---|---|--:|--:|--:|--:|");
  for (const f of r.files) line(`| ${f.name} | ${f.layout} | ${mib(f.size)} (${fmt(f.size / f.expect.records)} B/record) | ${fmt(f.expect.records)} | ${fmt(f.expect.rejected)} | ${fmt(f.expect.distinct)} |`);
  const reasons = [...new Set(r.files.map((f) => f.expect.rejection).filter(Boolean))];
  if (reasons.length) {
    line();
    line(`Rejected records (the generated file clones them): ${reasons.map((x) => `\`${x}\``).join("; ")}. Distinct games = valid records with distinct (platform, store id).`);
  }

  line();
  line("### End to end");
  line();
  line("Wall time: from the `POST /api/games/populate` call to the last file's `finished_at` in the ledger. Queue: `sent_at` → `started_at`. Consumer: `started_at` → `finished_at`.");
  line();
  line("| scenario | records | wall s | **records/s end to end** | populate (scan) ms | queue ms | consumer s | records/s in the consumer | games written | workerd CPU s | s3rver CPU s | other procs (cores) |");
  line("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const s of r.scenarios) {
    const consumerS = s.files.reduce((a, f) => a + f.consumerMs, 0) / 1000;
    line(
      `| ${s.label} | ${fmt(s.records)} | ${fmt(s.wallMs / 1000, 2)} | **${fmt(s.recordsPerSecond)}** | ${fmt(s.populateMs)} | ${s.files.map((f) => fmt(f.queueMs)).join(" / ")} | ` +
        `${s.files.map((f) => fmt(f.consumerMs / 1000, 2)).join(" / ")} | ${fmt(s.records / consumerS)} | ${fmt(s.gamesWritten)} | ${fmt(s.cpu.workerdS, 1)} | ${fmt(s.cpu.s3S, 1)} | ` +
        `${fmt(s.cpu.foreign, 2)}${s.cpu.foreign >= QUIET_CORES ? " ⚠" : ""} |`,
    );
  }

  line();
  line("### D1 per 1,000 records");
  line();
  line("Counted by the bench's D1 wrapper (every statement the scan and the consumer ran, `meta.rows_written` / `meta.rows_read` of each; a batch counts each of its statements). The bench's own polling is not included.");
  line();
  line("| scenario | statements | of which in batches | batches | rows written | rows read | of rows written: games merge | staging | ledger |");
  line("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const s of r.scenarios) {
    const all = { ...Object.fromEntries(Object.entries(s.counters.scan ?? {}).map(([k, v]) => [`scan ${k}`, v])), ...s.counters.queue };
    const t = sumCounters(all);
    const inBatches = Object.entries(all).filter(([k]) => /^(commit|batch): (?!\(batch\))/.test(k)).reduce((a, [, v]) => a + v.statements, 0);
    const written = (re) => Object.entries(all).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v.rowsWritten, 0);
    const rate = (n) => fmtRate(per1k(n, s.records));
    line(
      `| ${s.label} | ${rate(t.statements)} | ${rate(inBatches)} | ${rate(t.batches)} | ${rate(t.rowsWritten)} | ${rate(t.rowsRead)} | ` +
        `${rate(written(/merge games/))} | ${rate(written(/stage games|drop staging/))} | ${rate(written(/ledger/))} |`,
    );
  }
  for (const s of r.scenarios.filter((x) => x.records >= 10_000)) {
    line();
    line(`${s.label}, by statement (absolute; D1 ms = time the Worker awaited it):`);
    line();
    line("| handler | statement | statements | batches | rows written | rows read | D1 ms |");
    line("|---|---|--:|--:|--:|--:|--:|");
    for (const bucket of ["scan", "queue"]) {
      for (const [name, c] of Object.entries(s.counters[bucket] ?? {}).sort()) {
        line(`| ${bucket === "scan" ? "populate (scan)" : "consumer"} | ${name} | ${fmt(c.statements)} | ${fmt(c.batches)} | ${fmt(c.rowsWritten)} | ${fmt(c.rowsRead)} | ${fmt(c.ms)} |`);
      }
    }
  }

  if (r.breakdown) {
    const b = r.breakdown;
    const busy = (cpu) => (cpu ? `${fmt(cpu.foreign, 2)}${cpu.foreign >= QUIET_CORES ? " ⚠" : ""}` : "?");
    line();
    line(`### Where the time goes (${b.file})`);
    line();
    line(
      `The product's own download guard, gunzip, parser and validator, bundled into a bench-only Worker in the same workerd, passes over the file from s3rver; ` +
        `and the same parser and validator in Node reading the file from disk. Each pass ran ${b.workerd[0]?.runs ?? 1} times; the fastest is shown.`,
    );
    line();
    line("| pass | runtime | s | records/s | workerd CPU s | s3rver CPU s | other procs (cores) |");
    line("|---|---|--:|--:|--:|--:|--:|");
    for (const p of b.workerd) {
      const name = {
        raw: `download, bare body reader (${fmt(p.chunks)} chunks, ${fmt(p.bytes / Math.max(1, p.chunks))} B each)`,
        "raw-byob": `download, bare BYOB reader with 64 KiB buffers (${fmt(p.chunks)} reads, ${fmt(p.bytes / Math.max(1, p.chunks))} B each)${r.breakdown.native ? "" : " — *experiment*"}`,
        download: `download through the product's guard (guardedChunks + gunzipIfNeeded${p.chunks ? `; ${fmt(p.chunks)} chunks, ${fmt(p.bytes / p.chunks)} B each` : ""})`,
        parse: "download + parse",
        "parse-batch": `download + parse — *experiment: records decoded and parsed in batches of ${fmt((p.batchBytes ?? 0) / 1024)} KiB, not one by one*`,
        validate: "download + parse + validate + staging payload",
      }[p.upto] + (p.coalesceBytes ? ` — *experiment: chunks joined to ${fmt(p.coalesceBytes / 1024)} KiB before parsing*` : "");
      line(`| ${name} | workerd | ${fmt(p.seconds, 2)} | ${p.records ? fmt(p.records / p.seconds) : "—"} | ${fmt(p.cpu.workerdS, 1)} | ${fmt(p.cpu.s3S, 1)} | ${busy(p.cpu)} |`);
    }
    for (const p of b.node) line(`| ${p.validate ? "parse + validate" : "parse only"} | Node ${r.env.node} (64 KiB reads from disk) | ${fmt(p.seconds, 2)} | ${fmt(p.records / p.seconds)} | — | — | ${busy(p.cpu)} |`);
    if (b.native) {
      const n = b.native;
      line(`| **native reference: JSON.parse of the whole file** (text in memory; + read ${fmt(n.readS, 2)} s, decode ${fmt(n.decodeS, 2)} s) | Node ${r.env.node} | ${fmt(n.seconds, 2)} | ${fmt(n.records / n.seconds)} | — | — | ${busy(n.cpu)} |`);
    }
    const full = r.scenarios.find((s) => s.label === b.scenario);
    if (full && full.records < 20_000) {
      line();
      line("(No attribution of the consumer's time below 20,000 records: JIT warm-up and noise dominate.)");
    } else if (full) {
      const q = full.counters.queue ?? {};
      const ms = (re) => Object.entries(q).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v.ms, 0);
      const consumer = full.files[0].consumerMs;
      const pass = (upto) => b.workerd.find((p) => p.upto === upto && !p.coalesceBytes)?.seconds ?? NaN;
      // Runs before issue 10 parsed with @streamparser/json and validated every record with zod.
      const parser = b.native ? "record scanner + JSON.parse" : "@streamparser/json";
      const commit = ms(/^commit: \(batch\)/) / 1000;
      const consumerS = consumer / 1000;
      const parts = [
        ["download through the guard (transport + per-chunk guard)", pass("download"), "download pass"],
        [`parse (${parser} via fileRecords)`, pass("parse") - pass("download"), "parse pass − download pass"],
        [`validate (${b.native ? "by hand, zod for the rest" : "zod"}) + staging payload encode`, pass("validate") - pass("parse"), "validate pass − parse pass"],
        ["commit batch (count, merge into games, drop staging, mark done)", commit, "D1 time of the batch, from the wrapper"],
        [
          `staging statements not hidden behind parsing, ledger, rest (staging awaited ${fmt(ms(/^stage games/) / 1000, 2)} s in all, ${fmt(q["stage games"]?.statements ?? 0)} statements)`,
          consumerS - pass("validate") - commit,
          "consumer time − validate pass − commit (below 0 when staging hid behind parsing entirely and the passes ran slower than the consumer)",
        ],
      ];
      line();
      line(`Attribution of the consumer's ${fmt(consumerS, 2)} s (${b.scenario}, claim → done):`);
      line();
      line("| component | s | share | how |");
      line("|---|--:|--:|---|");
      for (const [name, seconds, how] of parts) line(`| ${name} | ${fmt(seconds, 2)} | ${fmt((seconds / consumerS) * 100)} % | ${how} |`);
    }
  }

  line();
  line("### Targets");
  line();
  line("| target | verdict | detail |");
  line("|---|---|---|");
  for (const v of r.verdicts) line(`| ${v.name} | ${v.pass === null ? "n/a" : v.pass ? "PASS" : "MISS"} | ${v.detail} |`);
  return out.join("\n");
}

function verdicts(scenarios, native) {
  const out = [];
  const generated = scenarios.find((s) => s.id === "generated");
  if (generated) {
    const full = generated.records >= 100_000;
    const notFull = full ? "" : " — not the 100,000-record file (--quick/--records)";
    out.push({
      name: `≥ ${fmt(TARGETS.recordsPerSecond)} records/s end to end on the 100,000-record file`,
      pass: full ? generated.recordsPerSecond >= TARGETS.recordsPerSecond : null,
      detail: `${fmt(generated.recordsPerSecond)} records/s on ${fmt(generated.records)} records (${fmt(generated.wallMs / 1000, 2)} s)${notFull}`,
    });
    if (native) {
      const nativeRate = native.records / native.seconds;
      const share = generated.recordsPerSecond / nativeRate;
      out.push({
        name: `end to end ≥ ${fmt(TARGETS.shareOfNative * 100)} % of Node's JSON.parse rate of the same file (100,000 records)`,
        pass: full ? share >= TARGETS.shareOfNative : null,
        detail:
          `${fmt(share * 100, 1)} %: ${fmt(generated.recordsPerSecond)} records/s end to end vs ${fmt(nativeRate)} records/s for JSON.parse of the whole file ` +
          `(${fmt(native.seconds, 2)} s; reading and decoding it took ${fmt(native.readS + native.decodeS, 2)} s more)${notFull}`,
      });
    }
  }
  const again = scenarios.find((s) => s.id === "re-ingest");
  if (again) {
    const written = (label) => Object.entries(again.counters.queue ?? {}).filter(([k]) => label.test(k)).reduce((a, [, v]) => a + v.rowsWritten, 0);
    const merge = written(/merge games/);
    const redated = written(/re-date games/);
    const total = sumCounters({ ...again.counters.queue, ...again.counters.scan }).rowsWritten;
    out.push({
      name: "0 rows written on identical re-ingest",
      pass: again.gamesWritten === TARGETS.reingestRowsWritten && merge === 0,
      detail:
        `games written (ledger) ${fmt(again.gamesWritten)}; rows written by the merge statement (D1 meta) ${fmt(merge)}; ` +
        `games re-dated by the newer file (provenance columns only) ${fmt(redated)}. ` +
        `All D1 rows written by the re-ingest: ${fmt(total)} — staging the file's games and dropping them again, plus the ledger`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  if (args.report) {
    console.log(report(JSON.parse(await readFile(args.report, "utf8"))));
    return;
  }
  const started = performance.now();
  const argv = process.argv.slice(2).join(" ");
  const command = `npm run bench:ingest${argv ? ` -- ${argv}` : ""}`;
  const env = environment(root, {
    miniflare: "miniflare",
    workerd: "workerd",
    wrangler: "wrangler",
    s3rver: "s3rver",
    zod: "zod",
  });
  const gitRevision = (await run("git", ["describe", "--always", "--dirty"]).catch(() => "unknown")).trim();
  await waitForOtherBenchmarks();
  if (EVENTS !== null) log(`event-path run: ${fmt(EVENTS)} uploads`);
  else if (LARGE === null) log(`${QUICK ? "quick" : "full"} run: generated file of ${fmt(RECORDS)} records${WITH_GZIP ? " (+ gzip)" : ""}`);
  else log(`caps run: ${fmt(LARGE)} slim records`);

  if (LARGE !== null) return runLarge(started, env, gitRevision, command);
  if (EVENTS !== null) return runEvents(started, env, gitRevision, command);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "game-db-ingest-bench-"));
  let s3;
  const workers = [];
  // Ctrl-C: stop s3rver and workerd and remove the 1 GB of temporary files before exiting.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      if (s3?.child.exitCode === null) s3.child.kill("SIGTERM");
      if (!args.keep) rmSync(tmp, { recursive: true, force: true });
      process.exit(130); // Miniflare stops workerd on exit
    });
  }
  try {
    const bundleDir = path.join(tmp, "bundle");
    const dataDir = path.join(tmp, "data");
    await mkdir(dataDir, { recursive: true });
    const entry = await prepareWorker(bundleDir);
    const { stagesScript, nodeParser } = await bundleProductCode(path.join(tmp, "stages"));
    log(`bundled the Worker (${fmt(statSync(path.join(bundleDir, "index.mjs")).size / 1024)} KiB) and the stages Worker`);

    // Files, and what each holds (counted by the product's own parser and validator in Node).
    const samples = loadSampleGroups();
    const files = [];
    for (const name of SAMPLE_FILES) {
      const p = path.join(DATA_DIR, name);
      files.push({ name, path: p, layout: "grouped, pretty-printed (sample)", size: statSync(p).size, expect: await nodePass(nodeParser, p, { validate: true }) });
    }
    const genName = `generated-${RECORDS}.json`;
    const genPath = path.join(dataDir, genName);
    let t = performance.now();
    const genSize = await generateFile(genPath, RECORDS, samples);
    log(`generated ${genName}: ${mib(genSize)} in ${fmt((performance.now() - t) / 1000, 1)} s`);

    await waitForQuiet("node JSON.parse", 0);
    const native = await bestOf(PASS_REPEATS, () => nativePass(genPath, tmp));
    log(
      `Node JSON.parse of the whole file (native reference): ${fmt(native.seconds, 2)} s = ${fmt(native.records / native.seconds)} records/s ` +
        `(+ read ${fmt(native.readS, 2)} s, decode ${fmt(native.decodeS, 2)} s; other processes ${fmt(native.cpu.foreign, 2)} cores)`,
    );
    if (native.records !== RECORDS) throw new BenchFailure(`JSON.parse counted ${native.records} records in the generated file, expected ${RECORDS}`);
    await waitForQuiet("node parse", 0);
    const nodeParse = await bestOf(PASS_REPEATS, () => nodePass(nodeParser, genPath, { validate: false }));
    log(`Node parse only: ${fmt(nodeParse.seconds, 2)} s = ${fmt(nodeParse.records / nodeParse.seconds)} records/s (other processes ${fmt(nodeParse.cpu.foreign, 2)} cores)`);
    await waitForQuiet("node parse+validate", 0);
    const expectGen = await bestOf(PASS_REPEATS, () => nodePass(nodeParser, genPath, { validate: true }));
    log(`Node parse + validate: ${fmt(expectGen.seconds, 2)} s = ${fmt(expectGen.records / expectGen.seconds)} records/s (other processes ${fmt(expectGen.cpu.foreign, 2)} cores)`);
    if (expectGen.records !== RECORDS) throw new BenchFailure(`the generated file holds ${expectGen.records} records, expected ${RECORDS}`);
    files.push({ name: genName, path: genPath, layout: "grouped, pretty-printed (generated)", size: genSize, expect: expectGen });
    let gzPath;
    if (WITH_GZIP) {
      gzPath = `${genPath}.gz`;
      t = performance.now();
      const gzSize = await gzipFile(genPath, gzPath);
      log(`gzipped: ${mib(gzSize)} in ${fmt((performance.now() - t) / 1000, 1)} s`);
      files.push({ name: `${genName}.gz`, path: gzPath, layout: "the same, gzip (level 6)", size: gzSize, expect: expectGen });
    }
    const fileInfo = (name) => files.find((f) => f.name === name);

    s3 = await spawnLocalS3({ dir: path.join(tmp, "s3"), bucket: BUCKET });
    log(`s3rver on 127.0.0.1:${s3.port}`);

    // Instance 1: samples, then the generated file, then the identical re-ingest.
    let worker = await startWorker(entry, s3.port, stagesScript);
    workers.push(worker);
    const scenarios = [];
    const ios = fileInfo(SAMPLE_FILES[0]);
    const android = fileInfo(SAMPLE_FILES[1]);
    const sampleGames = ios.expect.distinct + android.expect.distinct;
    scenarios.push({
      id: "samples",
      ...(await ingest(
        worker,
        s3,
        "2 sample files",
        [
          { key: `${PREFIX}2021-12-09/${ios.name}`, path: ios.path, expect: ios.expect },
          { key: `${PREFIX}2021-12-09/${android.name}`, path: android.path, expect: android.expect },
        ],
        { expectGamesWritten: sampleGames, expectGamesTotal: sampleGames },
      )),
    });
    scenarios.push({
      id: "generated",
      ...(await ingest(worker, s3, `generated, ${fmt(RECORDS)} records`, [{ key: `${PREFIX}2021-12-10/${genName}`, path: genPath, expect: expectGen }], {
        expectGamesWritten: expectGen.distinct,
        expectGamesTotal: sampleGames + expectGen.distinct,
      })),
    });
    // A newer key, so that 0 writes come from identical content, not from the file being older.
    scenarios.push({
      id: "re-ingest",
      ...(await ingest(worker, s3, `identical re-ingest, ${fmt(RECORDS)} records`, [{ key: `${PREFIX}2021-12-11/${genName}`, path: genPath, expect: expectGen }], {
        expectGamesWritten: 0,
        expectGamesTotal: sampleGames + expectGen.distinct,
      })),
    });

    // Where the time goes: the product's stages, one pass each, in the same workerd.
    const genKey = `${PREFIX}2021-12-10/${genName}`;
    const breakdown = { file: genName, scenario: scenarios[1]?.label, workerd: /** @type {any[]} */ ([]), node: [{ ...nodeParse, validate: false }, { ...expectGen, validate: true }], native };
    // Warm the stages Worker's JIT on a sample file first, so that pass order does not matter.
    for (const upto of ["download", "parse", "validate"]) await stagePass(worker, s3, `${PREFIX}2021-12-09/${ios.name}`, upto);
    for (const upto of ["raw", "raw-byob", "download", "parse", "validate"]) breakdown.workerd.push(await bestOf(PASS_REPEATS, () => stagePass(worker, s3, genKey, upto)));
    // Experiment: decoding and parsing records in batches instead of one by one.
    breakdown.workerd.push(await bestOf(PASS_REPEATS, () => stagePass(worker, s3, genKey, "parse-batch", 1024 * 1024)));
    await worker.mf.dispose();
    workers.pop();
    // The next instance starts with an empty ledger: only the gzipped file may be in the bucket.
    for (const s of scenarios) for (const f of s.files) await deleteObject(s3.port, f.key);

    // Instance 2 (fresh D1): the gzipped file.
    if (gzPath) {
      worker = await startWorker(entry, s3.port, null);
      workers.push(worker);
      scenarios.push({
        id: "gzip",
        ...(await ingest(worker, s3, `generated, ${fmt(RECORDS)} records, gzip`, [{ key: `${PREFIX}2021-12-10/${genName}.gz`, path: gzPath, expect: expectGen }], {
          expectGamesWritten: expectGen.distinct,
          expectGamesTotal: expectGen.distinct,
        })),
      });
      await worker.mf.dispose();
      workers.pop();
    }

    const errors = [...new Set(workers.flatMap((w) => w.errors))];
    const results = { env, gitRevision, command, files: files.map(({ path: _p, ...f }) => f), scenarios, breakdown };
    results.verdicts = verdicts(scenarios, native);
    console.log(report(results));
    if (args.json) await writeFile(args.json, JSON.stringify(results, null, 2));

    const problems = scenarios.flatMap((s) => s.problems.map((p) => `${s.label}: ${p}`));
    if (errors.length) problems.push(`the Worker logged errors: ${errors.join(" | ")}`);
    if (results.verdicts.find((v) => v.name.startsWith("0 rows") && v.pass === false)) problems.push("the identical re-ingest wrote game rows");
    log(`done in ${fmt((performance.now() - started) / 1000)} s`);
    if (problems.length) throw new BenchFailure(problems.join("\n  "));
  } finally {
    for (const w of workers) await w.mf.dispose().catch(() => undefined);
    if (s3) {
      if (s3.child.exitCode === null) {
        s3.child.kill("SIGTERM");
        await once(s3.child, "exit").catch(() => undefined);
      }
    }
    if (args.keep) log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

/** The bench entry of the Worker, bundled under a one-instance scenario's `tmp`. */
async function bundledEntry(tmp) {
  const bundleDir = path.join(tmp, "bundle");
  await mkdir(bundleDir, { recursive: true });
  return prepareWorker(bundleDir);
}

/** Stops a one-instance scenario's Worker and s3rver and removes its files (unless --keep). */
async function stopScenario(worker, s3, tmp) {
  await worker?.mf.dispose().catch(() => undefined);
  if (s3?.child.exitCode === null) {
    s3.child.kill("SIGTERM");
    await once(s3.child, "exit").catch(() => undefined);
  }
  if (args.keep) log(`kept ${tmp}`);
  else await rm(tmp, { recursive: true, force: true });
}

/**
 * `--large N`: the caps scenario. One NDJSON file of N slim records (N = 500,000 by default, the
 * record cap) through populate → queue → consumer → D1, with the D1 counters: how many staging
 * statements it takes (against the 950 the query budget allows), how long the atomic commit batch
 * runs (against D1's 30 s per batch), and the Worker's CPU per record.
 */
async function runLarge(started, env, gitRevision, command) {
  const records = /** @type {number} */ (LARGE);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "game-db-ingest-bench-"));
  let s3;
  let worker;
  try {
    const entry = await bundledEntry(tmp);
    const { nodeParser } = await bundleProductCode(path.join(tmp, "stages"));
    const name = `slim-${LARGE}.ndjson`;
    const file = path.join(tmp, name);
    const size = await generateSlimFile(file, LARGE);
    log(`generated ${name}: ${mib(size)}`);
    const expect = await nodePass(nodeParser, file, { validate: true });
    s3 = await spawnLocalS3({ dir: path.join(tmp, "s3"), bucket: BUCKET });
    worker = await startWorker(entry, s3.port, null);
    const scenario = {
      id: "large",
      ...(await ingest(worker, s3, `${fmt(LARGE)} slim records (NDJSON)`, [{ key: `${PREFIX}2021-12-12/${name}`, path: file, expect }], {
        expectGamesWritten: expect.distinct,
        expectGamesTotal: expect.distinct,
      })),
    };
    const q = scenario.counters.queue ?? {};
    const staging = q["stage games"]?.statements ?? 0;
    const commitMs = q["commit: (batch)"]?.ms ?? NaN;
    const queries = sumCounters(q).statements;
    const files = [{ name, layout: "NDJSON, slim records (Game DB's fields only)", size, expect }];
    const results = { env, gitRevision, command, files, scenarios: [scenario], breakdown: null };
    results.verdicts = [
      { name: "D1 queries of the consumer ≤ 1,000 per invocation", pass: queries <= 1_000, detail: `${fmt(queries)} queries, of which ${fmt(staging)} staging statements (budget 950)` },
      { name: "commit batch well under D1's 30 s per batch", pass: commitMs < 10_000, detail: `${fmt(commitMs / 1000, 2)} s for ${fmt(expect.distinct)} games` },
      {
        name: "Worker CPU well under `cpu_ms` = 300,000",
        pass: scenario.cpu.workerdS < 100,
        detail: `workerd used ${fmt(scenario.cpu.workerdS, 1)} CPU s in all (the Worker, and locally D1's SQLite too): ${fmt((scenario.cpu.workerdS * 1e6) / records, 1)} µs per record`,
      },
    ];
    console.log(report(results));
    if (args.json) await writeFile(args.json, JSON.stringify(results, null, 2));
    const problems = [...scenario.problems, ...worker.errors.map((e) => `the Worker logged: ${e}`)];
    log(`done in ${fmt((performance.now() - started) / 1000)} s`);
    if (problems.length) throw new BenchFailure(problems.join("\n  "));
  } finally {
    await stopScenario(worker, s3, tmp);
  }
}

// ---------------------------------------------------------------------------------------------
// The event path (issue 10): upload → EventBridge event → queue → consumer → readable

/** Percentile of sorted numbers (nearest rank). */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const statsOf = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1), min: sorted[0] };
};

/**
 * One upload's file: the iOS sample's 300 records with ids of their own (so every upload adds new
 * games) and a marker name on the first record, which the bench searches for until it is readable.
 */
async function uniqueSampleFile(file, samples, upload, marker) {
  let n = 0;
  const groups = samples.ios.map((group) =>
    group.map((record) => {
      const clone = { ...record };
      clone.app_id = clone.id = clone.appId = 2_500_000_000 + upload * 1_000 + n;
      if (n++ === 0) clone.name = marker;
      return clone;
    }),
  );
  await writeFile(file, JSON.stringify(groups, null, 2));
  return { records: n, size: statSync(file).size };
}

/** The EventBridge "Object Created" event S3 would send for the object (ev-events.html). */
function eventBridgeBody(key, etag, size, sequencer) {
  return {
    version: "0",
    id: crypto.randomUUID(),
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "111122223333",
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "us-east-1",
    resources: [`arn:aws:s3:::${BUCKET}`],
    detail: {
      version: "0",
      bucket: { name: BUCKET },
      object: { key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"), size, etag: etag.replace(/"/g, ""), sequencer },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "123456789012",
      reason: "PutObject",
    },
  };
}

/** Polls the search API until the marker game is readable; the time it became readable. */
async function untilReadable(worker, marker, deadlineMs = 60_000) {
  const started = Date.now();
  const path_ = `/api/games/search?name=${encodeURIComponent(marker)}`;
  for (;;) {
    const r = await request(worker.base, { path: path_, headers: admin });
    if (r.status === 200 && JSON.parse(r.text).length === 1) return performance.now();
    if (Date.now() - started > deadlineMs) throw new BenchFailure(`${marker}: not readable after ${deadlineMs / 1000} s (last answer ${r.status})`);
    await sleep(20);
  }
}

/**
 * `--events N`: N uploads one after another, each announced by its EventBridge event; per upload
 * the event request's latency, the time from the event to the game being readable through the
 * API (search), the same event delivered again, and the D1 statements of the event request and
 * of the consumer. Then one upload found by a scan (`POST /api/games/populate`) for comparison.
 * Locally there is no S3 → EventBridge leg: production adds its delivery delay (docs/INGESTION.md).
 */
async function runEvents(started, env, gitRevision, command) {
  const uploads = /** @type {number} */ (EVENTS);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "game-db-ingest-bench-"));
  let s3;
  let worker;
  try {
    const entry = await bundledEntry(tmp);
    const samples = loadSampleGroups();
    s3 = await spawnLocalS3({ dir: path.join(tmp, "s3"), bucket: BUCKET });
    worker = await startWorker(entry, s3.port, null);
    const tag = Date.now().toString(36);
    const rows = [];
    // Upload 0 warms the JIT and is not counted.
    for (let i = 0; i <= uploads; i++) {
      const marker = `Event Bench ${tag} ${i}`;
      const file = path.join(tmp, `event-${i}.json`);
      const { records, size } = await uniqueSampleFile(file, samples, i, marker);
      const key = `${PREFIX}2021-12-13/event upload ${i}.json`;
      await waitForQuiet(`event upload ${i}`, s3.child.pid);
      const etag = await putObject(s3.port, encodeURI(key), file);
      await d1Counters(worker.base, true);
      const body = eventBridgeBody(key, etag, size, (BigInt(Date.now()) * 1000n + BigInt(i)).toString(16).toUpperCase());
      const t0 = performance.now();
      const posted = await request(worker.base, { method: "POST", path: "/api/ingest/events", headers: admin, body });
      const responseMs = performance.now() - t0;
      if (posted.status !== 202) throw new BenchFailure(`event ${i}: ${posted.status} ${posted.text.slice(0, 300)}`);
      const accepted = JSON.parse(posted.text);
      if (accepted.filesEnqueued !== 1) throw new BenchFailure(`event ${i}: filesEnqueued ${accepted.filesEnqueued}, expected 1`);
      const readableMs = (await untilReadable(worker, marker)) - t0;
      const t1 = performance.now();
      const again = await request(worker.base, { method: "POST", path: "/api/ingest/events", headers: admin, body });
      const duplicateMs = performance.now() - t1;
      if (again.status !== 202 || JSON.parse(again.text).filesEnqueued !== 0) throw new BenchFailure(`duplicate event ${i}: ${again.status} ${again.text.slice(0, 300)}`);
      const run = JSON.parse((await request(worker.base, { path: `/api/ingest/runs/${accepted.runId}`, headers: admin })).text);
      const fileRow = run.files[0];
      const counters = await d1Counters(worker.base, true);
      const row = {
        upload: i,
        records,
        size,
        responseMs,
        duplicateMs,
        readableMs,
        queueMs: Date.parse(fileRow.startedAt) - Date.parse(fileRow.sentAt),
        consumerMs: Date.parse(fileRow.finishedAt) - Date.parse(fileRow.startedAt),
        eventStatements: sumCounters(counters.event).statements,
        consumerStatements: sumCounters(counters.queue).statements,
      };
      if (i > 0) rows.push(row);
      log(
        `upload ${i}${i === 0 ? " (warm-up)" : ""}: event answered in ${fmt(responseMs)} ms, readable ${fmt(readableMs)} ms after it ` +
          `(queue ${fmt(row.queueMs)} ms, consumer ${fmt(row.consumerMs)} ms); duplicate answered in ${fmt(duplicateMs)} ms; ` +
          `D1 statements: both event requests ${row.eventStatements}, consumer ${row.consumerStatements}`,
      );
    }

    // For comparison: one upload found by a scan (populate lists the bucket, records, sends).
    const marker = `Scan Bench ${tag}`;
    const file = path.join(tmp, "scan.json");
    await uniqueSampleFile(file, samples, uploads + 1, marker);
    await putObject(s3.port, encodeURI(`${PREFIX}2021-12-14/scan upload.json`), file);
    await waitForQuiet("scan upload", s3.child.pid);
    await d1Counters(worker.base, true);
    const t0 = performance.now();
    const populate = await request(worker.base, { method: "POST", path: "/api/games/populate", headers: admin });
    const populateMs = performance.now() - t0;
    if (populate.status !== 202) throw new BenchFailure(`populate: ${populate.status} ${populate.text.slice(0, 300)}`);
    const scan = { objectsListed: JSON.parse(populate.text).objectsListed, populateMs, readableMs: (await untilReadable(worker, marker)) - t0 };
    scan.statements = sumCounters((await d1Counters(worker.base, true)).scan).statements;
    log(`scan: populate (${scan.objectsListed} objects listed) answered in ${fmt(populateMs)} ms, readable ${fmt(scan.readableMs)} ms after it; its D1 statements ${scan.statements}`);

    const out = [];
    const line = (t = "") => out.push(t);
    line(`## Ingestion benchmark, event path — ${env.date}`);
    line();
    line(`Command: \`${command}\` · git ${gitRevision}`);
    line(`Machine: ${env.cpus} CPUs (${env.cpu}), ${env.memoryGiB} GiB · Node ${env.node} · miniflare ${env.miniflare} · workerd ${env.workerd} · s3rver ${env.s3rver}`);
    line();
    line(`${uploads} uploads of a 300-record file (${mib(rows[0]?.size ?? 0)}), each announced by its EventBridge event; the first upload (JIT warm-up) is not counted.`);
    line();
    line("| measure | median | p95 | max |");
    line("|---|--:|--:|--:|");
    const row = (name, values, unit = "ms") => {
      const st = statsOf(values);
      line(`| ${name} | ${fmt(st.median)} ${unit} | ${fmt(st.p95)} ${unit} | ${fmt(st.max)} ${unit} |`);
    };
    row("`POST /api/ingest/events` answered (202)", rows.map((r) => r.responseMs));
    row("the same event again (duplicate: 202, nothing enqueued)", rows.map((r) => r.duplicateMs));
    row("**event posted → game readable through the API**", rows.map((r) => r.readableMs));
    row("of which in the queue (sent_at → started_at)", rows.map((r) => r.queueMs));
    row("of which in the consumer (started_at → finished_at)", rows.map((r) => r.consumerMs));
    row("D1 statements of the two event requests (new + duplicate)", rows.map((r) => r.eventStatements), "");
    row("D1 statements of the consumer, per file", rows.map((r) => r.consumerStatements), "");
    line();
    line(
      `Scan path, one upload: \`POST /api/games/populate\` (${scan.objectsListed} objects listed) answered in ${fmt(scan.populateMs)} ms; ` +
        `game readable ${fmt(scan.readableMs)} ms after it; the scan's D1 statements: ${scan.statements}. ` +
        "Without populate the upload waits for the daily cron: up to 24 h.",
    );
    console.log(out.join("\n"));
    const results = { env, gitRevision, command, uploads: rows, scan };
    if (args.json) await writeFile(args.json, JSON.stringify(results, null, 2));
    const problems = worker.errors.map((e) => `the Worker logged: ${e}`);
    const slow = rows.filter((r) => r.responseMs >= 5_000);
    if (slow.length) problems.push(`${slow.length} event requests took 5 s or more (EventBridge's limit)`);
    log(`done in ${fmt((performance.now() - started) / 1000)} s`);
    if (problems.length) throw new BenchFailure(problems.join("\n  "));
  } finally {
    await stopScenario(worker, s3, tmp);
  }
}

main().catch((error) => {
  console.error(`[bench:ingest] FAILED: ${error instanceof BenchFailure ? error.message : (error.stack ?? error)}`);
  process.exit(1);
});
