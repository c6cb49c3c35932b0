import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The repository root (this file is src/platform/deno/settings.ts). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** An empty string (an unset variable in an env file) means "use the default". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema);

/**
 * Settings only the Deno entry has. Everything the core reads — ENVIRONMENT, RATE_LIMIT_*, S3_*,
 * INGEST_*, ADMIN_API_KEY… — keeps its Workers name and is parsed by the core's `parseConfig`
 * from the same environment. Relative paths are resolved against the project root.
 */
const DenoSettingsSchema = z.object({
  PORT: optional(z.coerce.number().int().min(0).max(65_535).default(8788)),
  /** Interface to listen on; `0.0.0.0` on a VM behind a reverse proxy. */
  HOST: optional(z.string().default("127.0.0.1")),
  /** The SQLite file (created, with its directory, on first start). */
  DATABASE_PATH: optional(z.string().default(".local/deno/game-db.sqlite")),
  /** Deno KV: a local file; `default` opens Deno's default database (the managed KV on Deno Deploy). */
  KV_PATH: optional(z.string().default(".local/deno/kv.sqlite")),
  PUBLIC_DIR: optional(z.string().default("public")),
  MIGRATIONS_DIR: optional(z.string().default("migrations")),
  /** Behind a reverse proxy: the header holding the client's address (see TRUSTED_PROXY_COUNT). */
  CLIENT_IP_HEADER: optional(z.string().optional()),
  /**
   * How many reverse proxies in front of the server append to CLIENT_IP_HEADER: the client's
   * address is that many entries from the right (src/platform/deno/client-ip.ts).
   */
  TRUSTED_PROXY_COUNT: optional(z.coerce.number().int().min(1).max(10).default(1)),
  /** Serve `GET /__scheduled` to run the cron job by hand, like `wrangler dev --test-scheduled`. */
  TEST_SCHEDULED: optional(z.enum(["true", "false"]).default("false")),
});

export interface DenoSettings {
  port: number;
  hostname: string;
  databasePath: string;
  kvPath: string | undefined;
  publicDir: string;
  migrationsDir: string;
  clientIpHeader: string | undefined;
  trustedProxies: number;
  testScheduled: boolean;
}

const resolve = (path: string) => (path === ":memory:" || isAbsolute(path) ? path : join(PROJECT_ROOT, path));

export function parseDenoSettings(vars: Record<string, string | undefined>): DenoSettings {
  const result = DenoSettingsSchema.safeParse(vars);
  if (!result.success) {
    throw new Error(`Invalid Deno settings: ${result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  }
  const v = result.data;
  return {
    port: v.PORT,
    hostname: v.HOST,
    databasePath: resolve(v.DATABASE_PATH),
    kvPath: v.KV_PATH === "default" ? undefined : resolve(v.KV_PATH),
    publicDir: resolve(v.PUBLIC_DIR),
    migrationsDir: resolve(v.MIGRATIONS_DIR),
    clientIpHeader: v.CLIENT_IP_HEADER?.toLowerCase(),
    trustedProxies: v.TRUSTED_PROXY_COUNT,
    testScheduled: v.TEST_SCHEDULED === "true",
  };
}
