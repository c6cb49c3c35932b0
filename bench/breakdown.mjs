// Where an API request's time goes, as evidence for docs/BENCHMARKS.md. Three parts:
//
//  1. ops:      the local cost of each binding call and piece of work a request makes (KV reads
//               and writes, the rate limiter, D1, hashing, logging), each run N times in a
//               loop inside a probe Worker;
//  2. sql:      the cost of each SQL statement the games repository issues (and of alternatives),
//               at each dataset size, run N times in a loop inside a probe Worker;
//  3. variants (only with --parts …,variants; 4 s loads, so expect ±25 % noise): throughput
//               of cached and uncached reads with one ingredient of the local setup changed at
//               a time (the product bundle is the same in every variant):
//                 configured  wrangler.toml as is (what bench:api measures)
//                 stub-rl     both rate-limit bindings replaced by an RPC stub that always allows
//                             (production's binding answers from memory at the edge; Miniflare's
//                             is a Durable Object with a SQLite write per call)
//                 no-log      LOG_LEVEL=warn: no JSON access-log line per request
//                 no-assets   no [assets] router Worker in front of the app
//
// The figure to read is workerd CPU ms (from /proc, utime+stime of Miniflare's workerd process):
// workerd serves every isolate of this setup from one thread, so req/s ≈ 1000 / (CPU ms per
// request), and CPU time is far less disturbed than wall time by other processes on the machine.
//
//   node_modules/.bin/node bench/breakdown.mjs [--parts ops,sql[,variants]] [--sizes 200,10000,100000]
//        [--n 400] [--variant-size 10000] [--duration 4] [--variants configured,stub-rl,no-log,no-assets]
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import {
  ADMIN_KEY,
  applyMigrations,
  bundleWorker,
  loadSourceGames,
  measure,
  miniflareOptions,
  request,
  SEARCH_TERMS,
  gameId,
  seed,
  uncachedPaths,
  timing,
} from "./api.bench.mjs";

const { values: args } = parseArgs({
  options: {
    parts: { type: "string", default: "ops,sql" },
    sizes: { type: "string", default: "200,10000,100000" },
    n: { type: "string", default: "400" },
    "variant-size": { type: "string", default: "10000" },
    duration: { type: "string", default: "4" },
    variants: { type: "string", default: "configured,stub-rl,no-log,no-assets" },
  },
});
const PARTS = args.parts.split(",");
const N = Number(args.n);
timing.durationS = Number(args.duration);
timing.warmupS = 1;

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const out = [];
const print = (line = "") => {
  out.push(line);
  console.log(line);
};

/** CPU ticks (10 ms) used so far by this process's children, i.e. Miniflare's workerd. */
function childTicks() {
  let sum = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === process.pid) sum += Number(rest[11]) + Number(rest[12]);
    } catch {
      // exited meanwhile
    }
  }
  return sum;
}

/** Runs `/?op=…&n=N` on a probe Worker and returns workerd CPU ms and wall ms per iteration. */
async function perIteration(base, host, query) {
  const before = childTicks();
  const res = await request(base, { path: `/?n=${N}&${query}`, headers: { host } });
  if (res.status !== 200) throw new Error(`${host} ${query}: ${res.status} ${res.text.slice(0, 300)}`);
  return { cpuMs: ((childTicks() - before) * 10) / N, wallMs: Number(res.text) };
}

const LOOP = `const n = Number(url.searchParams.get("n"));
  const started = Date.now(); // advances across I/O only, which every iteration does
  for (let i = 0; i < n; i++) await run(i);
  return new Response(String((Date.now() - started) / n));`;

// ---------------------------------------------------------------------------------------------
// 1. Operations

const OPS_WORKER = `
const enc = new TextEncoder();
const LOG = JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "request", requestId: "0b6c5a9e-3f0e-4a57-9d1e-2c4f8a7b6d10", method: "GET", route: "/api/games/:id", path: "/api/games/5000", status: 200, durationMs: 1.2, keyId: "admin", cache: "HIT", environment: "development" });
const OPS = {
  "KV get, small value": (env) => env.KV.get("small"),
  "KV get, missing key": (env) => env.KV.get("missing"),
  "KV get, 50 KB cached-list entry (json)": (env) => env.KV.get("entry", "json"),
  "KV bulk get [version, small entry] (json) — a cached get": (env) => env.KV.get(["version", "small"], "json"),
  "KV bulk get [version, 50 KB entry] (json) — a cached list": (env) => env.KV.get(["version", "entry"], "json"),
  "KV bulk get [version, missing] (json) — a cache miss": (env) => env.KV.get(["version", "missing"], "json"),
  "2 parallel KV gets [version, 50 KB entry]": (env) => Promise.all([env.KV.get("version", "json"), env.KV.get("entry", "json")]),
  "KV put, 1 KB entry, expirationTtl 300": (env, i) => env.KV.put("s" + i + Math.random(), env.SMALL, { expirationTtl: 300 }),
  "KV put, 50 KB entry, expirationTtl 300 — a cache miss's store": (env, i) => env.KV.put("w" + i + Math.random(), env.ENTRY, { expirationTtl: 300 }),
  "rate limiter limit()": (env) => env.RL.limit({ key: "per-key:admin" }),
  "D1 SELECT 1": (env) => env.DB.prepare("SELECT 1").first(),
  "SHA-256 of a 50 KB body (ETag)": (env) => crypto.subtle.digest("SHA-256", enc.encode(env.ENTRY)),
  "JSON.parse of a 50 KB entry": async (env) => JSON.parse(env.ENTRY),
  "console.log of one access-log line": async () => console.log(LOG),
};
export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.searchParams.get("op") === "list") return Response.json(Object.keys(OPS));
  const op = OPS[url.searchParams.get("op")];
  const run = (i) => op(env, i);
  ${LOOP}
} };`;

async function opsPart(scriptPath, sources) {
  // A real cached-list entry, as the read cache stores it.
  let entry;
  {
    const mf = new Miniflare(miniflareOptions(scriptPath, () => {}));
    try {
      const base = await mf.ready;
      const db = await mf.getD1Database("DB");
      await applyMigrations(db);
      await seed(db, 200, sources);
      const list = await request(base, { path: "/api/games", headers: admin });
      entry = JSON.stringify({ version: "0", etag: `"${"0".repeat(32)}"`, headers: { "content-type": "application/json", "x-total-count": "200" }, body: list.text });
    } finally {
      await mf.dispose();
    }
  }
  const small = JSON.stringify({ version: "0", etag: `"${"0".repeat(32)}"`, headers: { "content-type": "application/json" }, body: "x".repeat(900) });
  const mf = new Miniflare(
    miniflareOptions(scriptPath, () => {}, {
      extraWorkers: [
        {
          name: "ops-probe",
          modules: true,
          script: OPS_WORKER,
          compatibilityDate: "2026-11-01",
          bindings: { ENTRY: entry, SMALL: small },
          kvNamespaces: { KV: "ops-kv" },
          d1Databases: { DB: "ops-d1" },
          ratelimits: { RL: { namespace_id: "7001", simple: { limit: 1_000_000_000, period: 60 } } },
          routes: ["ops.probe/*"],
        },
      ],
    }),
  );
  try {
    const base = await mf.ready;
    const kv = /** @type {any} */ (await mf.getKVNamespace("KV", "ops-probe"));
    await kv.put("small", small);
    await kv.put("version", JSON.stringify("0"));
    await kv.put("entry", entry);
    const ops = JSON.parse((await request(base, { path: "/?op=list", headers: { host: "ops.probe" } })).text);
    print(`### Per-operation cost in Miniflare (${N} sequential runs each; cached-list entry ${entry.length.toLocaleString("en-US")} bytes)`);
    print();
    print("| operation | workerd CPU ms | wall ms |");
    print("|---|--:|--:|");
    for (const op of ops) {
      const r = await perIteration(base, "ops.probe", `op=${encodeURIComponent(op)}`);
      print(`| ${op} | ${r.cpuMs.toFixed(2)} | ${r.wallMs.toFixed(2)} |`);
    }
    print();
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. SQL statements (as drizzle issues them for the games repository, plus alternatives)

const COLUMNS = `"id", "platform", "store_id", "bundle_id", "name", "publisher_id", "publisher_name", "app_version", "is_published", "icon_url", "rank", "created_at", "updated_at"`;
const ftsPhrase = (term) => `'"${term.replaceAll("'", "''")}"'`;
const inFts = (term) => `"games"."id" IN (SELECT rowid FROM games_fts WHERE games_fts MATCH ${ftsPhrase(term)})`;
const SQL = (size) => ({
  "D1 SELECT 1 (baseline)": "SELECT 1",
  "get: row by id": `select ${COLUMNS} from "games" where "games"."id" = ${gameId(Math.ceil(size / 2))} limit 1`,
  "list: first 101 rows": `select ${COLUMNS} from "games" order by "games"."id" asc limit 101 offset 0`,
  "list: count(*)": `select count(*) from "games"`,
  "list: batch [rows, count] (what the repository sends)": ["batch", `select ${COLUMNS} from "games" order by "games"."id" asc limit 101 offset 0`, `select count(*) from "games"`],
  "search hit: first 101 rows": `select ${COLUMNS} from "games" where ${inFts(SEARCH_TERMS.hit)} order by "games"."id" asc limit 101 offset 0`,
  "search hit: count(*) via games.id IN (fts)": `select count(*) from "games" where ${inFts(SEARCH_TERMS.hit)}`,
  "search hit: batch [rows, count]": ["batch", `select ${COLUMNS} from "games" where ${inFts(SEARCH_TERMS.hit)} order by "games"."id" asc limit 101 offset 0`, `select count(*) from "games" where ${inFts(SEARCH_TERMS.hit)}`],
  "search hit: count(*) on games_fts alone (alternative)": `select count(*) from games_fts where games_fts MATCH ${ftsPhrase(SEARCH_TERMS.hit)}`,
  "search hit: LIKE '%term%' count (full scan, for comparison)": `select count(*) from "games" where name like '%${SEARCH_TERMS.hit}%'`,
  "search miss: batch [rows, count]": ["batch", `select ${COLUMNS} from "games" where ${inFts(SEARCH_TERMS.miss)} order by "games"."id" asc limit 101 offset 0`, `select count(*) from "games" where ${inFts(SEARCH_TERMS.miss)}`],
});

const SQL_WORKER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  const statements = JSON.parse(url.searchParams.get("sql"));
  const run = statements.length > 1
    ? () => env.DB.batch(statements.map((s) => env.DB.prepare(s)))
    : () => env.DB.prepare(statements[0]).all();
  ${LOOP}
} };`;

async function sqlPart(scriptPath, sources, sizes) {
  const rows = new Map();
  const plans = new Map();
  for (const size of sizes) {
    const mf = new Miniflare(
      miniflareOptions(scriptPath, () => {}, {
        extraWorkers: [
          { name: "sql-probe", modules: true, script: SQL_WORKER, compatibilityDate: "2026-11-01", d1Databases: { DB: "00000000-0000-0000-0000-000000000000" }, routes: ["sql.probe/*"] },
        ],
      }),
    );
    try {
      const base = await mf.ready;
      const db = await mf.getD1Database("DB");
      await applyMigrations(db);
      await seed(db, size, sources);
      for (const [name, sql] of Object.entries(SQL(size))) {
        const statements = Array.isArray(sql) ? sql.slice(1) : [sql];
        const r = await perIteration(base, "sql.probe", `sql=${encodeURIComponent(JSON.stringify(statements))}`);
        if (!rows.has(name)) rows.set(name, {});
        rows.get(name)[size] = r;
        if (size === sizes.at(-1) && statements.length === 1) {
          plans.set(name, (await db.prepare(`EXPLAIN QUERY PLAN ${statements[0]}`).all()).results.map((p) => p.detail).join("; "));
        }
      }
    } finally {
      await mf.dispose();
    }
  }
  print(`### SQL statements in local D1: workerd CPU ms per execution (${N} sequential runs each)`);
  print();
  print(`| statement | ${sizes.map((s) => `${s.toLocaleString("en-US")} games`).join(" | ")} |`);
  print(`|---|${sizes.map(() => "--:").join("|")}|`);
  for (const [name, bySize] of rows) print(`| ${name} | ${sizes.map((s) => bySize[s].cpuMs.toFixed(2)).join(" | ")} |`);
  print();
  print(`Query plans at ${sizes.at(-1).toLocaleString("en-US")} games:`);
  print();
  for (const [name, plan] of plans) print(`- ${name}: \`${plan}\``);
  print();
}

// ---------------------------------------------------------------------------------------------
// 3. Variants

const STUB_RL = `
import { WorkerEntrypoint } from "cloudflare:workers";
export default class extends WorkerEntrypoint {
  async fetch() { return new Response("stub rate limiter"); }
  async limit() { return { success: true }; }
}`;

const VARIANTS = {
  configured: {},
  "stub-rl": { app: { ratelimits: {}, serviceBindings: { RATE_LIMIT_KEY: "stub-rl", RATE_LIMIT_ANON: "stub-rl" } } },
  "no-log": { bindingsPatch: { LOG_LEVEL: "warn" } },
  "no-assets": { app: { assets: undefined } },
};

async function variantsPart(scriptPath, sources, size) {
  const getId = gameId(Math.ceil(size / 2));
  const searchHit = `/api/games/search?name=${encodeURIComponent(SEARCH_TERMS.hit)}`;
  const scenarios = (kv) => [
    { id: "get, cached", path: `/api/games/${getId}`, headers: admin },
    { id: "list, cached", path: "/api/games", headers: admin },
    { id: "get, uncached", path: `/api/games/${getId}`, headers: admin, unique: uncachedPaths(`/api/games/${getId}`, { count: size, kv }) },
    { id: "search hit, uncached", path: searchHit, headers: admin, unique: uncachedPaths(searchHit, { count: size, kv }) },
  ];
  const rows = [];
  for (const name of args.variants.split(",")) {
    const variant = VARIANTS[name];
    if (!variant) throw new Error(`unknown variant ${name}`);
    const mf = new Miniflare(
      miniflareOptions(scriptPath, () => {}, {
        ...variant,
        extraWorkers: [{ name: "stub-rl", modules: true, script: STUB_RL, compatibilityDate: "2026-11-01" }],
      }),
    );
    try {
      const base = await mf.ready;
      const db = await mf.getD1Database("DB");
      await applyMigrations(db);
      await seed(db, size, sources);
      for (const sc of scenarios(await mf.getKVNamespace("CACHE"))) {
        const probe = await request(base, { path: sc.path, headers: sc.headers });
        if (probe.status !== 200) throw new Error(`${name} ${sc.path}: ${probe.status} ${probe.text.slice(0, 200)}`);
        rows.push({ variant: name, scenario: sc.id, ...(await measure(base, sc, `${name} ${sc.id}`)) });
      }
    } finally {
      await mf.dispose();
    }
  }
  print(`### Variants of the local setup, ${size.toLocaleString("en-US")} games (${timing.durationS} s per measurement)`);
  print();
  print(`| scenario | ${args.variants.split(",").join(" | ")} |`);
  print(`|---|${args.variants.split(",").map(() => "--:").join("|")}|`);
  // (`scenarios` is a function of the KV namespace: iterating it was a TypeError the type check found.)
  for (const id of new Set(rows.map((r) => r.scenario))) {
    const cells = args.variants.split(",").map((v) => {
      const r = rows.find((x) => x.variant === v && x.scenario === id);
      return `${Math.round(r.rps).toLocaleString("en-US")} req/s, ${r.serverCpuMs.toFixed(2)} ms${r.foreign >= 0.25 ? " ⚠" : ""}`;
    });
    print(`| ${id} | ${cells.join(" | ")} |`);
  }
  print();
  print("Cells: req/s and workerd CPU ms per request; ⚠ = other processes used ≥ 0.25 cores meanwhile.");
  print();
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "game-db-breakdown-"));
  try {
    const scriptPath = await bundleWorker(tmp);
    const sources = loadSourceGames();
    print(`## Breakdown — ${new Date().toISOString()}`);
    print();
    if (PARTS.includes("ops")) await opsPart(scriptPath, sources);
    if (PARTS.includes("sql")) await sqlPart(scriptPath, sources, args.sizes.split(",").map(Number));
    if (PARTS.includes("variants")) await variantsPart(scriptPath, sources, Number(args["variant-size"]));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`[breakdown] FAILED: ${error.stack ?? error}`);
  process.exit(1);
});
