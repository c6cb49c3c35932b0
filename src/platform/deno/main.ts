// The Deno 2 entry: the same core as the Worker (src/platform/cloudflare/index.ts) with Deno's
// services — Deno.serve, SQLite (node:sqlite) through drizzle, Deno KV for the cache, rate-limit
// counters and the ingest queue, Deno.cron for the daily scan and the ledger sweep.
//
//   deno run --allow-net --allow-env --allow-read --allow-write src/platform/deno/main.ts
//
// Configuration: environment variables with the Workers names (wrangler.toml [vars] and the
// secrets; `--env-file=<file>` reads .dev.vars-style KEY=VALUE files), plus the Deno-only
// settings in ./settings.ts (PORT, HOST, DATABASE_PATH, KV_PATH, …). deno.json enables the
// unstable APIs used here (kv, cron) and sloppy imports (the core's extensionless imports).
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createDeps } from "../../core/compose/deps";
import { logInvalidConfiguration } from "../../core/compose/misconfiguration";
import { ConfigError, parseConfig } from "../../core/config";
import { alwaysFreshSessions } from "../../core/data/database";
import { createApp } from "../../core/http/app";
import { CRONS, DAILY_SCAN_CRON, runScheduledJob } from "../../core/ingest/schedule";
import { describeError } from "../../core/log";
import { applyMigrations, createDatabase } from "./database";
import { createHandler } from "./http";
import { createKvStore } from "./kv-store";
import { createLogMetrics } from "./metrics";
import { createMessageQueue, startIngestConsumer } from "./queue";
import { createRateLimiter } from "./rate-limiter";
import { parseDenoSettings } from "./settings";

const vars = Deno.env.toObject();
let settings: ReturnType<typeof parseDenoSettings>;
let config: ReturnType<typeof parseConfig>;
try {
  settings = parseDenoSettings(vars);
  config = parseConfig(vars);
} catch (error) {
  // A Worker answers 503 instead; a process refuses to start, so its supervisor reports it.
  logInvalidConfiguration(error instanceof ConfigError ? error : new ConfigError([describeError(error)]));
  Deno.exit(1);
}

for (const path of [settings.databasePath, settings.kvPath]) {
  if (path && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
}
const sqlite = createDatabase(settings.databasePath);
const migrated = applyMigrations(sqlite.sqlite, settings.migrationsDir);
const kv = await Deno.openKv(settings.kvPath);

const queueSettings = {
  maxRetries: config.ingest.maxRetries,
  retryBaseSeconds: config.ingest.retryBaseSeconds,
  retryMaxSeconds: config.ingest.retryMaxSeconds,
};
// The same composition root as the Worker's (src/platform/cloudflare/deps.ts), over Deno's ports.
const deps = createDeps(
  config,
  {
    db: sqlite.db,
    sessions: alwaysFreshSessions(sqlite.db),
    kv: createKvStore(kv),
    ingestQueue: createMessageQueue(kv, queueSettings),
    metrics: createLogMetrics({ environment: config.environment, runtime: "deno" }),
    rateLimiter: (policy, now) => createRateLimiter(kv, policy, now),
  },
  { logFields: { runtime: "deno" } },
);
const { log } = deps;
log.info("database ready", { path: settings.databasePath, migrationsApplied: migrated, kv: settings.kvPath ?? "default" });

/** Work a response must not wait for (cache fills, last_used_at): `ctx.waitUntil` on Workers. */
const pending = new Set<Promise<unknown>>();
function defer(promise: Promise<unknown>) {
  const tracked = promise
    .catch((error) => log.warn("deferred work failed", { error: describeError(error) }))
    .finally(() => pending.delete(tracked));
  pending.add(tracked);
}

const consumer = startIngestConsumer(kv, deps, queueSettings);
void consumer.drainDeadLetters();

const stopping = new AbortController();
// The Worker's `scheduled` handler: the same crons and jobs, from the core.
for (const { name, schedule } of CRONS) {
  Deno.cron(`game-db ${name}`, schedule, { signal: stopping.signal }, () =>
    // Failures have already been recorded and alerted by the core.
    runScheduledJob(schedule, deps).catch((error) => log.error("cron job failed", { cron: schedule, error: describeError(error) })),
  );
}
Deno.cron("game-db ingest dead letters", "* * * * *", { signal: stopping.signal }, async () => {
  await consumer.drainDeadLetters();
});

const handler = createHandler({
  app: createApp(),
  deps,
  publicDir: settings.publicDir,
  clientIpHeader: settings.clientIpHeader,
  trustedProxies: settings.trustedProxies,
  defer,
  scheduled: settings.testScheduled ? () => runScheduledJob(DAILY_SCAN_CRON, deps) : undefined,
});

const server = Deno.serve(
  {
    hostname: settings.hostname,
    port: settings.port,
    signal: stopping.signal,
    // Printed at every log level: supervisors and tests wait for this line (PORT=0 picks a port).
    onListen: ({ hostname, port }) =>
      console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "listening", runtime: "deno", url: `http://${hostname}:${port}`, port })),
  },
  handler,
);

let shuttingDown = false;
async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info("shutting down", { signal });
  stopping.abort();
  await server.finished;
  await Promise.allSettled([...pending]);
  kv.close();
  sqlite.close();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => void shutdown(signal));
