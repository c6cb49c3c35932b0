import { z } from "zod";

const positiveInt = z.coerce.number().int().positive();

/**
 * Runtime configuration read from plain string variables (Workers vars and secrets, or a
 * process environment). Parsed once per set of variables; a bad value fails loudly with the
 * variable's name and never its value, since some of them are secrets.
 */
export const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "staging", "production"]),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  ADMIN_API_KEY: z
    .string({ error: "is required (set it with `wrangler secret put ADMIN_API_KEY` or in .dev.vars)" })
    .min(32, "must be at least 32 characters"),
  RATE_LIMIT_KEY_LIMIT: positiveInt,
  RATE_LIMIT_ANON_LIMIT: positiveInt,
  RATE_LIMIT_PERIOD_SECONDS: z.coerce
    .number()
    .refine((n) => n === 10 || n === 60, "must be 10 or 60 (the periods the rate limiter supports)"),
});

export type ConfigInput = z.input<typeof ConfigSchema>;

export interface AppConfig {
  environment: z.infer<typeof ConfigSchema>["ENVIRONMENT"];
  logLevel: z.infer<typeof ConfigSchema>["LOG_LEVEL"];
  adminApiKey: string;
  rateLimits: {
    periodSeconds: number;
    perKey: number;
    anonymous: number;
  };
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
  };
}
