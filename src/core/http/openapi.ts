import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";

type DocumentConfig = Parameters<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>[0];

/** A deployed environment: `wrangler.toml` names the Worker, workers.dev adds the account's subdomain. */
const workersDev = (worker: string, description: string) => ({
  url: `https://${worker}.{subdomain}.workers.dev`,
  description,
  variables: {
    subdomain: { default: "your-account", description: "The Cloudflare account's workers.dev subdomain (the dashboard shows it; README \"Configuration\")" },
  },
});

/**
 * Internal software of the company: no open-source licence applies, hence an SPDX custom
 * reference. (A variable: the generator's types predate OpenAPI 3.1's `identifier`.)
 */
const LICENSE = { name: "Proprietary, internal use only", identifier: "LicenseRef-Proprietary" };

/**
 * Everything in the served document that is not a route: info, servers, tags. The routes come
 * from their zod definitions (`routes/*.ts`). `npm run lint:openapi` holds the whole document to
 * Redocly's recommended rules (redocly.yaml).
 */
export const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Game DB API",
    version: "1.0.0",
    description:
      "Game data for internal teams. Every /api route needs an API key (`Authorization: Bearer <key>` or `X-API-Key`). " +
      "Errors are RFC 9457 problem+json; each problem's `type` (`/problems/<code>`, relative to the API's URL) is a page explaining the error and what to do, listed at /problems. " +
      "A typed TypeScript client generated from this document is in the repository (`clients/typescript`).",
    license: LICENSE,
    contact: { name: "Game DB maintainers (docs/RUNBOOK.md)" },
  },
  servers: [
    { url: "/", description: "The host that served this document" },
    workersDev("game-db-staging", "Staging, deployed from main (wrangler.toml [env.staging])"),
    workersDev("game-db-production", "Production, deployed from a release tag (wrangler.toml [env.production])"),
  ],
  tags: [
    { name: "Games", description: "The game catalogue: list, search, read, create, update and delete games (scopes `games:read`, `games:write`)." },
    {
      name: "Ingestion",
      description:
        "The daily S3 ingestion: start a run now, follow runs and the ledger of files, retry a failed or dead file (scopes `ingest:read`, `ingest:run`).",
    },
    { name: "API keys", description: "Create, list and revoke the API keys teams call the API with (scope `admin`)." },
    { name: "Operations", description: "Health check, figures for dashboards, and the catalogue of problem types." },
  ],
} satisfies DocumentConfig;

/** The document `GET /openapi.json` serves, as an object (scripts/openapi.mjs writes it without a server). */
export const openApiDocument = (app: OpenAPIHono<AppEnv>) => app.getOpenAPI31Document(OPENAPI_CONFIG);
