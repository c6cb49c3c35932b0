import { z } from "zod";

const positiveInt = z.coerce.number().int().positive();
const secret = (name: string) =>
  z
    .string({ error: `is required (set it with \`wrangler secret put ${name}\` or in .dev.vars)` })
    .min(1, "must not be empty");
/** An optional string where an empty string (an unset var in some tools) means "not set". */
const unsetIfEmpty = (v: unknown) => (v === "" ? undefined : v);
/** An optional URL where an empty string (an unset var in some tools) means "not set". */
const optionalUrl = z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).optional());

/** A topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`), as SNS_TOPIC_ARNS lists them. */
const SNS_TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
/**
 * The hosts SNS serves signing certificates and SubscribeURLs from: `sns.<region>.amazonaws.com`
 * and, in the China regions, `sns.<region>.amazonaws.com.cn`. Matched against a URL's whole
 * `host` (services/sns/trusted-url.ts), so a port, a longer name (`…amazonaws.com.evil.test`) or
 * a prefix does not pass.
 */
export const SNS_DEFAULT_HOST_PATTERN = "sns\\.[a-z0-9-]+\\.amazonaws\\.com(?:\\.cn)?";

const isRegExp = (source: string) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runtime configuration read from plain string variables (Workers vars and secrets, or a
 * process environment). Parsed once per set of variables; a bad value fails loudly with the
 * variable's name and never its value, since some of them are secrets.
 */
export const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "staging", "production"]),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  ADMIN_API_KEY: secret("ADMIN_API_KEY").min(32, "must be at least 32 characters"),
  RATE_LIMIT_KEY_LIMIT: positiveInt,
  RATE_LIMIT_ANON_LIMIT: positiveInt,
  RATE_LIMIT_PERIOD_SECONDS: z.coerce
    .number()
    .refine((n) => n === 10 || n === 60, "must be 10 or 60 (the periods the rate limiter supports)"),

  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://s3.eu-west-1.amazonaws.com" }),
  S3_REGION: z.string().min(1),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name"),
  S3_PREFIX: z.string().default(""),
  S3_URL_STYLE: z.enum(["path", "virtual-host"]).default("path"),
  S3_ACCESS_KEY_ID: secret("S3_ACCESS_KEY_ID"),
  S3_SECRET_ACCESS_KEY: secret("S3_SECRET_ACCESS_KEY"),
  S3_TIMEOUT_MS: positiveInt.default(30_000),
  S3_LIST_PAGE_SIZE: positiveInt.max(1000).default(1000),
  ALERT_WEBHOOK_URL: optionalUrl,
  INGEST_RETRY_BASE_SECONDS: positiveInt.default(30),
  INGEST_RETRY_MAX_SECONDS: positiveInt.max(43_200).default(3_600),
  INGEST_LEASE_SECONDS: positiveInt.default(900),
  INGEST_STALE_AFTER_HOURS: positiveInt.default(26),
  /** The ingest consumer's `max_retries` (wrangler.toml; a test checks they agree): the ledger's bounds derive from it. */
  INGEST_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(3),
  /** Seconds a key must wait between two `POST /api/games/populate`; 0 turns the cooldown off. */
  INGEST_POPULATE_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /** The SNS topics whose messages POST /api/ingest/sns accepts, comma-separated; empty: none. */
  SNS_TOPIC_ARNS: z
    .string()
    .default("")
    .transform((list) => list.split(",").map((arn) => arn.trim()).filter(Boolean))
    .refine((arns) => arns.every((arn) => SNS_TOPIC_ARN.test(arn)), "must list topic ARNs such as arn:aws:sns:eu-west-1:123456789012:rankings-uploads, separated by commas"),
  /**
   * Development and test only: the hosts (a regular expression matched against the whole
   * `host`, port included) SNS certificates and SubscribeURLs may come from instead of
   * `sns.<region>.amazonaws.com`, so that tests can serve a certificate they generated on
   * loopback. Refused in staging and production.
   */
  SNS_CERT_HOST_PATTERN: z.preprocess(unsetIfEmpty, z.string().refine(isRegExp, "must be a valid regular expression").optional()),
}).superRefine((vars, ctx) => {
  // The S3 credentials sign every request and the listed objects become games; alerts carry
  // file keys and error texts. Outside a developer's machine (a local s3rver or webhook
  // receiver over http) both must be TLS.
  const local = vars.ENVIRONMENT === "development" || vars.ENVIRONMENT === "test";
  for (const name of ["S3_ENDPOINT", "ALERT_WEBHOOK_URL"] as const) {
    if (!local && /^http:/i.test(vars[name] ?? "")) {
      ctx.addIssue({ code: "custom", path: [name], message: `must be an https URL in ${vars.ENVIRONMENT} (http is allowed only in development and test)` });
    }
  }
  // SNS messages are authenticated by a certificate fetched from the URL they name: the only
  // hosts that may serve it are AWS's, wherever real messages arrive.
  if (!local && vars.SNS_CERT_HOST_PATTERN !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["SNS_CERT_HOST_PATTERN"],
      message: `must not be set in ${vars.ENVIRONMENT}: SNS certificates and SubscribeURLs are trusted only from sns.<region>.amazonaws.com (the variable exists for development and test)`,
    });
  }
});

type Vars = z.infer<typeof ConfigSchema>;

export interface S3Config {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  urlStyle: Vars["S3_URL_STYLE"];
  accessKeyId: string;
  secretAccessKey: string;
  timeoutMs: number;
  listPageSize: number;
}

export interface IngestConfig {
  s3: S3Config;
  alertWebhookUrl: string | undefined;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  leaseSeconds: number;
  staleAfterHours: number;
  maxRetries: number;
  populateCooldownSeconds: number;
}

export interface SnsConfig {
  /** Topics whose messages are accepted; empty: every message is refused. */
  topicArns: string[];
  /** Matches the whole `host` of a SigningCertURL or SubscribeURL that may be fetched. */
  trustedHost: RegExp;
  /** Development and test: http is allowed to a loopback host (a test's certificate server). */
  allowLoopbackHttp: boolean;
}

export interface AppConfig {
  environment: Vars["ENVIRONMENT"];
  logLevel: Vars["LOG_LEVEL"];
  adminApiKey: string;
  rateLimits: {
    periodSeconds: number;
    perKey: number;
    anonymous: number;
  };
  ingest: IngestConfig;
  sns: SnsConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig(vars: Record<string, unknown>): AppConfig {
  const result = ConfigSchema.safeParse(vars);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`));
  }
  const v = result.data;
  return {
    environment: v.ENVIRONMENT,
    logLevel: v.LOG_LEVEL,
    adminApiKey: v.ADMIN_API_KEY,
    rateLimits: {
      periodSeconds: v.RATE_LIMIT_PERIOD_SECONDS,
      perKey: v.RATE_LIMIT_KEY_LIMIT,
      anonymous: v.RATE_LIMIT_ANON_LIMIT,
    },
    ingest: {
      s3: {
        endpoint: v.S3_ENDPOINT.replace(/\/+$/, ""),
        region: v.S3_REGION,
        bucket: v.S3_BUCKET,
        prefix: v.S3_PREFIX,
        urlStyle: v.S3_URL_STYLE,
        accessKeyId: v.S3_ACCESS_KEY_ID,
        secretAccessKey: v.S3_SECRET_ACCESS_KEY,
        timeoutMs: v.S3_TIMEOUT_MS,
        listPageSize: v.S3_LIST_PAGE_SIZE,
      },
      alertWebhookUrl: v.ALERT_WEBHOOK_URL,
      retryBaseSeconds: v.INGEST_RETRY_BASE_SECONDS,
      retryMaxSeconds: v.INGEST_RETRY_MAX_SECONDS,
      leaseSeconds: v.INGEST_LEASE_SECONDS,
      staleAfterHours: v.INGEST_STALE_AFTER_HOURS,
      maxRetries: v.INGEST_MAX_RETRIES,
      populateCooldownSeconds: v.INGEST_POPULATE_COOLDOWN_SECONDS,
    },
    sns: {
      topicArns: v.SNS_TOPIC_ARNS,
      trustedHost: new RegExp(`^(?:${v.SNS_CERT_HOST_PATTERN ?? SNS_DEFAULT_HOST_PATTERN})$`),
      allowLoopbackHttp: v.ENVIRONMENT === "development" || v.ENVIRONMENT === "test",
    },
  };
}

/**
 * Where alerts go when the configuration as a whole does not parse: ALERT_WEBHOOK_URL and
 * ENVIRONMENT read on their own, each with its own rule, best effort. Lets a misconfigured
 * Worker still say so to the on-call instead of only to its logs.
 */
export function alertTargetFrom(vars: Record<string, unknown>): { webhookUrl: string | undefined; environment: string } {
  const webhook = ConfigSchema.shape.ALERT_WEBHOOK_URL.safeParse(vars.ALERT_WEBHOOK_URL);
  const environment = ConfigSchema.shape.ENVIRONMENT.safeParse(vars.ENVIRONMENT);
  return { webhookUrl: webhook.success ? webhook.data : undefined, environment: environment.success ? environment.data : "unknown" };
}
