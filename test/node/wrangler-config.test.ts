import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { ConfigSchema, parseConfig } from "../../src/core/config";
import { abandonedBoundSeconds, overdueAfterSeconds, resendAfterSeconds } from "../../src/core/ingest/bounds";
import { CRONS } from "../../src/core/ingest/schedule";

const ENVIRONMENTS = [undefined, "staging", "production"] as const;
interface Binding {
  binding: string;
  database_id?: string;
  id?: string;
  migrations_dir?: string;
}
interface RateLimitBinding {
  name: string;
  namespace_id: string;
  simple: { limit: number; period: number };
}
/** The parts of wrangler's normalised config these checks read. */
interface WorkerConfig {
  d1_databases: Binding[];
  kv_namespaces: Binding[];
  ratelimits: RateLimitBinding[];
  assets?: { binding?: string };
  secrets?: { required?: string[] };
  observability?: {
    enabled?: boolean;
    logs?: { enabled?: boolean; invocation_logs?: boolean; persist?: boolean; head_sampling_rate?: number };
    traces?: { enabled?: boolean; persist?: boolean; head_sampling_rate?: number };
  };
  analytics_engine_datasets: { binding: string; dataset?: string }[];
  vars: Record<string, string>;
  triggers: { crons?: string[] };
  queues: {
    producers?: { binding: string; queue: string }[];
    consumers?: {
      queue: string;
      max_batch_size?: number;
      max_batch_timeout?: number;
      max_retries?: number;
      retry_delay?: number;
      dead_letter_queue?: string;
    }[];
  };
}

const read = (env: string | undefined) =>
  unstable_readConfig({ config: "wrangler.toml", ...(env ? { env } : {}) }, { hideWarnings: true }) as unknown as WorkerConfig;

describe.each(ENVIRONMENTS)("wrangler.toml environment %s", (environment) => {
  const config = read(environment);

  it("declares every binding the Worker uses (wrangler does not inherit them)", () => {
    expect(config.d1_databases.map((d) => d.binding)).toEqual(["DB"]);
    expect(config.d1_databases[0]?.migrations_dir).toBe("migrations");
    expect(config.kv_namespaces.map((k) => k.binding)).toEqual(["CACHE"]);
    expect(config.ratelimits.map((r) => r.name).sort()).toEqual(["RATE_LIMIT_ANON", "RATE_LIMIT_KEY"]);
    expect(config.assets?.binding).toBe("ASSETS");
    expect(config.secrets?.required).toContain("ADMIN_API_KEY");
    expect(config.observability?.enabled).toBe(true);
    expect(config.analytics_engine_datasets.map((d) => d.binding)).toEqual(["METRICS"]);
  });

  it("keeps every log line and invocation log, and traces at a stated head-sampling rate", () => {
    // An environment that sets part of [observability] replaces the whole table, so each one
    // must state all of it: a lone traces rate would silently turn logs off.
    expect(config.observability?.logs).toEqual({ enabled: true, invocation_logs: true, persist: true, head_sampling_rate: 1 });
    expect(config.observability?.traces).toMatchObject({ enabled: true, persist: true });
    const rate = config.observability?.traces?.head_sampling_rate;
    expect(rate).toBe(environment === "production" ? 0.1 : 1);
  });

  it("runs the daily scan and the ledger sweep, and consumes the ingest queue and its dead-letter queue", () => {
    // The schedules the code dispatches on (src/core/ingest/schedule.ts), no more, no less.
    expect(config.triggers.crons).toEqual(CRONS.map((c) => c.schedule));
    const producer = config.queues.producers?.find((p) => p.binding === "INGEST_QUEUE");
    expect(producer).toBeDefined();
    const consumer = config.queues.consumers?.find((c) => c.queue === producer!.queue);
    // Local (Miniflare) and production defaults differ, so every knob is explicit (wrangler.toml says how).
    for (const knob of ["max_batch_size", "max_batch_timeout", "max_retries", "retry_delay", "dead_letter_queue"] as const) {
      expect(consumer?.[knob], knob).toBeDefined();
    }
    // queue() tells dead letters apart by this variable, so it must name the consumer's DLQ.
    expect(config.vars.INGEST_DLQ_NAME).toBe(consumer!.dead_letter_queue);
    // The ledger derives its resend and overdue bounds from the consumer's retry budget.
    expect(config.vars.INGEST_MAX_RETRIES).toBe(String(consumer!.max_retries));
    expect(config.queues.consumers?.some((c) => c.queue === consumer!.dead_letter_queue)).toBe(true);
  });

  it("has vars that pass the app's own config validation", () => {
    const secrets = Object.fromEntries((config.secrets?.required ?? []).map((name: string) => [name, "x".repeat(32)]));
    const result = ConfigSchema.safeParse({ ...config.vars, ...secrets });
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  });

  it("announces the same limits in headers as the rate limiter enforces", () => {
    const limits = Object.fromEntries(config.ratelimits.map((r) => [r.name, r.simple]));
    expect(String(limits.RATE_LIMIT_KEY?.limit)).toBe(config.vars.RATE_LIMIT_KEY_LIMIT);
    expect(String(limits.RATE_LIMIT_ANON?.limit)).toBe(config.vars.RATE_LIMIT_ANON_LIMIT);
    for (const r of config.ratelimits) expect(String(r.simple.period)).toBe(config.vars.RATE_LIMIT_PERIOD_SECONDS);
  });
});

describe("the ledger's documented bounds (docs/RUNBOOK.md, src/core/ingest/bounds.ts)", () => {
  it("hold for production's settings: a lost message is re-sent after 3 h, a file is overdue after 6 h 10 min, a poison file is dead within 75 min", () => {
    const production = read("production");
    const ingest = parseConfig({ ...production.vars, ADMIN_API_KEY: "x".repeat(32), S3_ACCESS_KEY_ID: "x", S3_SECRET_ACCESS_KEY: "x" }).ingest;
    expect(resendAfterSeconds(ingest)).toBe(3 * 3600);
    expect(overdueAfterSeconds(ingest)).toBe(6 * 3600 + 10 * 60);
    expect(abandonedBoundSeconds(ingest)).toBe(75 * 60);
  });
});

describe("environments are separate", () => {
  it("use their own database, KV namespace and rate-limit counters", () => {
    const configs = ENVIRONMENTS.map(read);
    const distinct = (values: unknown[]) => new Set(values).size === values.length;
    expect(distinct(configs.map((c) => c.d1_databases[0]?.database_id))).toBe(true);
    expect(distinct(configs.map((c) => c.kv_namespaces[0]?.id))).toBe(true);
    expect(distinct(configs.flatMap((c) => c.ratelimits.map((r) => r.namespace_id)))).toBe(true);
    expect(configs.map((c) => c.vars.ENVIRONMENT)).toEqual(["development", "staging", "production"]);
    expect(distinct(configs.flatMap((c) => (c.queues.producers ?? []).map((p) => p.queue)))).toBe(true);
    expect(distinct(configs.map((c) => c.analytics_engine_datasets[0]?.dataset))).toBe(true);
  });
});
