// Configuration: defaults, and a bad configuration that fails with the variables' names and
// never their values (some are secrets) — in parseConfig and at the Worker's entry points.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, parseConfig } from "../../src/core/config";
import { callDrained } from "../helpers/api";
import worker from "../support/limited-worker";
import { expectProblem } from "../support/problem";

const ADMIN = "admin-secret-0123456789abcdefghijklmnopq";
const S3_SECRET = "s3-secret-wJalrXUtnFEMI/K7MDENG/bPxRfiCY";
const S3_KEY_ID = "AKIAIOSFODNN7EXAMPLE";

/** The smallest valid configuration: every required variable, nothing optional. */
const required = () => ({
  ENVIRONMENT: "production",
  ADMIN_API_KEY: ADMIN,
  RATE_LIMIT_KEY_LIMIT: "1200",
  RATE_LIMIT_ANON_LIMIT: "120",
  RATE_LIMIT_PERIOD_SECONDS: "60",
  S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com/",
  S3_REGION: "eu-west-1",
  S3_BUCKET: "game-db-rankings",
  S3_ACCESS_KEY_ID: S3_KEY_ID,
  S3_SECRET_ACCESS_KEY: S3_SECRET,
});

function configError(vars: Record<string, unknown>): ConfigError {
  try {
    parseConfig(vars);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the configuration to be rejected");
}

/** Every string a config error exposes: its message and each problem. */
const exposed = (error: ConfigError) => [error.message, ...error.problems].join("\n");

afterEach(() => vi.restoreAllMocks());

describe("parseConfig", () => {
  it("fills in the defaults", () => {
    expect(parseConfig(required())).toEqual({
      environment: "production",
      logLevel: "info",
      adminApiKey: ADMIN,
      rateLimits: { periodSeconds: 60, perKey: 1200, anonymous: 120 },
      ingest: {
        s3: {
          endpoint: "https://s3.eu-west-1.amazonaws.com",
          region: "eu-west-1",
          bucket: "game-db-rankings",
          prefix: "",
          urlStyle: "path",
          accessKeyId: S3_KEY_ID,
          secretAccessKey: S3_SECRET,
          timeoutMs: 30_000,
          listPageSize: 1000,
        },
        alertWebhookUrl: undefined,
        retryBaseSeconds: 30,
        retryMaxSeconds: 3_600,
        leaseSeconds: 900,
        staleAfterHours: 26,
        maxRetries: 3,
        populateCooldownSeconds: 60,
      },
      sns: { topicArns: [], trustedHost: /^(?:sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)$/, allowLoopbackHttp: false },
    });
  });

  it("reads every optional variable from its string form", () => {
    const config = parseConfig({
      ...required(),
      LOG_LEVEL: "debug",
      S3_PREFIX: "daily/",
      S3_URL_STYLE: "virtual-host",
      S3_TIMEOUT_MS: "1500",
      S3_LIST_PAGE_SIZE: "2",
      ALERT_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
      INGEST_RETRY_BASE_SECONDS: "5",
      INGEST_RETRY_MAX_SECONDS: "600",
      INGEST_LEASE_SECONDS: "120",
      INGEST_STALE_AFTER_HOURS: "30",
      INGEST_MAX_RETRIES: "5",
      INGEST_POPULATE_COOLDOWN_SECONDS: "0",
    });
    expect(config.logLevel).toBe("debug");
    expect(config.ingest).toMatchObject({
      s3: { prefix: "daily/", urlStyle: "virtual-host", timeoutMs: 1500, listPageSize: 2 },
      alertWebhookUrl: "https://hooks.slack.com/services/T/B/X",
      retryBaseSeconds: 5,
      retryMaxSeconds: 600,
      leaseSeconds: 120,
      staleAfterHours: 30,
      maxRetries: 5,
      populateCooldownSeconds: 0,
    });
  });

  it("treats an empty ALERT_WEBHOOK_URL as not set", () => {
    expect(parseConfig({ ...required(), ALERT_WEBHOOK_URL: "" }).ingest.alertWebhookUrl).toBeUndefined();
  });

  it.each([
    ["ENVIRONMENT", { ENVIRONMENT: "prod" }],
    ["ADMIN_API_KEY", { ADMIN_API_KEY: "short-secret-value" }],
    ["ADMIN_API_KEY", { ADMIN_API_KEY: undefined }],
    ["RATE_LIMIT_PERIOD_SECONDS", { RATE_LIMIT_PERIOD_SECONDS: "30" }],
    ["RATE_LIMIT_KEY_LIMIT", { RATE_LIMIT_KEY_LIMIT: "lots" }],
    ["S3_ENDPOINT", { S3_ENDPOINT: "s3.amazonaws.com" }],
    ["S3_ENDPOINT", { S3_ENDPOINT: "ftp://s3.example.com" }],
    ["S3_BUCKET", { S3_BUCKET: "Not_A_Bucket" }],
    ["S3_REGION", { S3_REGION: "" }],
    ["S3_URL_STYLE", { S3_URL_STYLE: "dns" }],
    ["S3_ACCESS_KEY_ID", { S3_ACCESS_KEY_ID: undefined }],
    ["S3_SECRET_ACCESS_KEY", { S3_SECRET_ACCESS_KEY: "" }],
    ["S3_TIMEOUT_MS", { S3_TIMEOUT_MS: "0" }],
    ["S3_LIST_PAGE_SIZE", { S3_LIST_PAGE_SIZE: "5000" }],
    ["ALERT_WEBHOOK_URL", { ALERT_WEBHOOK_URL: "not a url" }],
    ["INGEST_RETRY_MAX_SECONDS", { INGEST_RETRY_MAX_SECONDS: "86400" }],
    ["INGEST_RETRY_BASE_SECONDS", { INGEST_RETRY_BASE_SECONDS: "-1" }],
    ["INGEST_MAX_RETRIES", { INGEST_MAX_RETRIES: "101" }],
    ["INGEST_POPULATE_COOLDOWN_SECONDS", { INGEST_POPULATE_COOLDOWN_SECONDS: "-5" }],
    ["SNS_TOPIC_ARNS", { SNS_TOPIC_ARNS: "rankings-uploads" }],
    ["SNS_TOPIC_ARNS", { SNS_TOPIC_ARNS: "arn:aws:sqs:eu-west-1:123456789012:rankings" }],
    ["SNS_CERT_HOST_PATTERN", { ENVIRONMENT: "test", SNS_CERT_HOST_PATTERN: "127.0.0.1:(" }],
  ])("rejects a bad %s, naming it", (name, change) => {
    const error = configError({ ...required(), ...change });
    expect(error.problems.some((p) => p.startsWith(`${name} `))).toBe(true);
    expect(error.message).toMatch(/^Invalid configuration: /);
    expect(error.message).toContain(name);
  });

  it("reads SNS_TOPIC_ARNS as a comma-separated list (spaces and empty entries ignored; empty: none)", () => {
    const arns = ["arn:aws:sns:eu-west-1:123456789012:rankings-uploads", "arn:aws-cn:sns:cn-north-1:123456789012:rankings.fifo"];
    expect(parseConfig({ ...required(), SNS_TOPIC_ARNS: ` ${arns[0]} ,,${arns[1]}, ` }).sns.topicArns).toEqual(arns);
    expect(parseConfig({ ...required(), SNS_TOPIC_ARNS: "" }).sns.topicArns).toEqual([]);
  });

  it.each(["staging", "production"])("refuses SNS_CERT_HOST_PATTERN in %s: certificates come only from sns.<region>.amazonaws.com there", (environment) => {
    const error = configError({ ...required(), ENVIRONMENT: environment, SNS_CERT_HOST_PATTERN: ".*" });
    expect(error.problems).toEqual([
      `SNS_CERT_HOST_PATTERN must not be set in ${environment}: SNS certificates and SubscribeURLs are trusted only from sns.<region>.amazonaws.com (the variable exists for development and test)`,
    ]);
    // An empty value is "not set", as some tools write an unset variable.
    expect(parseConfig({ ...required(), ENVIRONMENT: environment, SNS_CERT_HOST_PATTERN: "" }).sns).toMatchObject({ allowLoopbackHttp: false });
  });

  it.each(["development", "test"])("takes SNS_CERT_HOST_PATTERN in %s, matched against a whole host, and allows http to loopback there", (environment) => {
    const { sns } = parseConfig({ ...required(), ENVIRONMENT: environment, SNS_CERT_HOST_PATTERN: "127\\.0\\.0\\.1:\\d+" });
    expect(sns.allowLoopbackHttp).toBe(true);
    expect(sns.trustedHost.test("127.0.0.1:8080")).toBe(true);
    expect(sns.trustedHost.test("127.0.0.1:8080.evil.test")).toBe(false);
    expect(sns.trustedHost.test("sns.us-east-1.amazonaws.com")).toBe(false);
  });

  it.each(["staging", "production"])("refuses an http S3_ENDPOINT in %s, naming the variable and never its value", (environment) => {
    const endpoint = "http://s3.eu-west-1.amazonaws.com";
    const error = configError({ ...required(), ENVIRONMENT: environment, S3_ENDPOINT: endpoint });
    expect(error.problems).toEqual([`S3_ENDPOINT must be an https URL in ${environment} (http is allowed only in development and test)`]);
    expect(exposed(error)).not.toContain(endpoint);
    // Also when other variables are wrong at the same time.
    const both = configError({ ...required(), ENVIRONMENT: environment, S3_ENDPOINT: "HTTP://s3.example.com", S3_BUCKET: "UPPER" });
    expect(both.problems.map((p) => p.split(" ")[0]).sort()).toEqual(["S3_BUCKET", "S3_ENDPOINT"]);
  });

  it.each(["staging", "production"])("refuses an http ALERT_WEBHOOK_URL in %s, naming the variable and never its value", (environment) => {
    const webhook = "http://hooks.example.com/services/T000/B000/secret-path";
    const error = configError({ ...required(), ENVIRONMENT: environment, ALERT_WEBHOOK_URL: webhook });
    expect(error.problems).toEqual([`ALERT_WEBHOOK_URL must be an https URL in ${environment} (http is allowed only in development and test)`]);
    expect(exposed(error)).not.toContain(webhook);
    expect(parseConfig({ ...required(), ENVIRONMENT: environment, ALERT_WEBHOOK_URL: "https://hooks.example.com/x" }).ingest.alertWebhookUrl).toBe("https://hooks.example.com/x");
    expect(parseConfig({ ...required(), ENVIRONMENT: "test", ALERT_WEBHOOK_URL: "http://127.0.0.1:9/hook" }).ingest.alertWebhookUrl).toBe("http://127.0.0.1:9/hook");
  });

  it.each(["development", "test"])("accepts an http S3_ENDPOINT in %s (a local S3 server)", (environment) => {
    const config = parseConfig({ ...required(), ENVIRONMENT: environment, S3_ENDPOINT: "http://127.0.0.1:4568" });
    expect(config.ingest.s3.endpoint).toBe("http://127.0.0.1:4568");
    expect(parseConfig({ ...required(), ENVIRONMENT: "production" }).ingest.s3.endpoint).toBe("https://s3.eu-west-1.amazonaws.com");
  });

  it("lists every bad variable at once", () => {
    const error = configError({ ...required(), S3_BUCKET: "UPPER", S3_ENDPOINT: "nope", S3_SECRET_ACCESS_KEY: undefined });
    expect(error.problems.map((p) => p.split(" ")[0]).sort()).toEqual(["S3_BUCKET", "S3_ENDPOINT", "S3_SECRET_ACCESS_KEY"]);
    expect(error.problems.find((p) => p.startsWith("S3_SECRET_ACCESS_KEY"))).toContain("wrangler secret put S3_SECRET_ACCESS_KEY");
  });

  it("never repeats a value: not the secrets, not the bad values themselves", () => {
    const badValues = {
      ENVIRONMENT: "prod-env-value-x1",
      ADMIN_API_KEY: "too-short-admin-secret",
      S3_BUCKET: "Bad_Bucket_Value_X2",
      S3_ENDPOINT: "endpoint-value-x3",
      S3_URL_STYLE: "style-value-x4",
      ALERT_WEBHOOK_URL: "webhook-value-x5",
      S3_TIMEOUT_MS: "timeout-value-x6",
    };
    const error = configError({ ...required(), ...badValues });
    expect(error.problems).toHaveLength(Object.keys(badValues).length);
    const text = exposed(error);
    for (const value of [...Object.values(badValues), S3_SECRET, S3_KEY_ID]) expect(text).not.toContain(value);
  });
});

describe("the Worker with a bad configuration", () => {
  const badEnv = () => ({ ...env, S3_BUCKET: "Bad_Bucket", ADMIN_API_KEY: "short-but-secret-admin" }) as unknown as Env;

  it("answers a 503 problem like every other error (with its request id) and logs the variable names, never the values", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    // Through the tests' client: the 503 is checked against the OpenAPI document too.
    const res = await callDrained("/health", { key: null, env: badEnv(), headers: { "CF-Ray": "8f1e2d3c4b5a6978-AMS" } });
    expect(res.headers.get("X-Request-Id")).toBe("8f1e2d3c4b5a6978-AMS");
    const problem = await expectProblem(res, 503, "service-unavailable");
    expect(problem).toMatchObject({ title: "Service unavailable", instance: "/health", requestId: "8f1e2d3c4b5a6978-AMS" });
    expect(JSON.stringify(problem)).not.toContain("S3_BUCKET");
    const lines = logged.mock.calls.map((c) => c.join(" ")).join("\n");
    expect(lines).toContain("invalid configuration");
    expect(lines).toContain("S3_BUCKET");
    expect(lines).toContain("ADMIN_API_KEY");
    for (const value of ["Bad_Bucket", "short-but-secret-admin", env.S3_SECRET_ACCESS_KEY]) expect(lines).not.toContain(value);
  });

  it("answers every route so, as the OpenAPI document says (a 503 problem on each operation)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const [path, method] of [["/api/games", "GET"], ["/api/games/1", "PATCH"], ["/api/keys", "POST"], ["/api/stats", "GET"]] as const) {
      await expectProblem(await callDrained(path, { method, env: badEnv(), ...(method === "GET" ? {} : { body: {} }) }), 503, "service-unavailable");
    }
  });

  it("retries a queue batch later instead of throwing", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const batch = createMessageBatch("ingest", [{ id: "m1", timestamp: new Date(), attempts: 1, body: { v: 1 } }]);
    const retryAll = vi.spyOn(batch, "retryAll");
    await worker.queue(batch as MessageBatch<never>, badEnv());
    expect(retryAll).toHaveBeenCalledWith({ delaySeconds: 300 });
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result).toMatchObject({ outcome: "ok", retryBatch: { retry: true }, explicitAcks: [] });
  });
});
