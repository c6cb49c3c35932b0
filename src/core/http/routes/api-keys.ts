import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { REVOCATION_BOUND_SECONDS, UNPUBLISHED_REVOCATION_BOUND_SECONDS } from "../../services/auth/verdicts";
import { apiKeysService } from "../../services/api-keys";
import type { AppEnv } from "../env";
import { requireScope } from "../middleware/authenticate";
import { ApiKeyIdParamSchema, ApiKeyInputSchema, ApiKeySchema, CreatedApiKeySchema } from "../schemas/api-key";
import { WRITE_HEADERS } from "../schemas/headers";
import { NO_QUERY } from "../schemas/params";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/problem";
import { API_KEY_SECURITY } from "./security";

const tags = ["API keys"];
const json = <T>(schema: T) => ({ "application/json": { schema } });
const admin = [requireScope("admin")];

const createKeyRoute = createRoute({
  method: "post",
  path: "/api/keys",
  tags,
  summary: "Create an API key",
  description: "Returns the secret once. Only its SHA-256 hash is stored.",
  security: API_KEY_SECURITY,
  middleware: admin,
  request: { query: NO_QUERY, body: { required: true, content: json(ApiKeyInputSchema) } },
  responses: {
    201: { description: "Created", headers: WRITE_HEADERS, content: json(CreatedApiKeySchema) },
    ...errorResponses("validation", "malformed-json", "payload-too-large", "unsupported-media-type", ...AUTHENTICATED_ERRORS),
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/api/keys",
  tags,
  summary: "List API keys (no secrets)",
  security: API_KEY_SECURITY,
  middleware: admin,
  request: { query: NO_QUERY },
  responses: {
    200: { description: "All keys, revoked ones included", headers: WRITE_HEADERS, content: json(z.array(ApiKeySchema)) },
    ...errorResponses(...AUTHENTICATED_ERRORS),
  },
});

const getKeyRoute = createRoute({
  method: "get",
  path: "/api/keys/{id}",
  tags,
  summary: "Get one API key (no secret)",
  security: API_KEY_SECURITY,
  middleware: admin,
  request: { query: NO_QUERY, params: ApiKeyIdParamSchema },
  responses: {
    200: { description: "The key", headers: WRITE_HEADERS, content: json(ApiKeySchema) },
    ...errorResponses("validation", "not-found", ...AUTHENTICATED_ERRORS),
  },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/api/keys/{id}",
  tags,
  summary: "Revoke an API key",
  description:
    `Idempotent. The key is refused at once where the DELETE ran and everywhere within ${REVOCATION_BOUND_SECONDS} s. ` +
    "A 503 means the revocation is recorded but the edge cache (KV) refused it: repeat the DELETE until it answers 200 " +
    `(meanwhile the key stops everywhere within ${UNPUBLISHED_REVOCATION_BOUND_SECONDS} s all the same).`,
  security: API_KEY_SECURITY,
  middleware: admin,
  request: { query: NO_QUERY, params: ApiKeyIdParamSchema },
  responses: {
    200: { description: "The revoked key", headers: WRITE_HEADERS, content: json(ApiKeySchema) },
    ...errorResponses("validation", "not-found", "service-unavailable", ...AUTHENTICATED_ERRORS),
  },
});

export const apiKeysRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createKeyRoute, async (c) => {
    const { name, scopes } = c.req.valid("json");
    const { apiKey, key } = await apiKeysService(c.env.deps).create(name, scopes);
    const { lastUsedAt: _l, revokedAt: _r, ...created } = apiKey;
    return c.json({ ...created, key }, 201, { Location: `/api/keys/${apiKey.id}`, "Cache-Control": "no-store" });
  })
  .openapi(listKeysRoute, async (c) => c.json(await apiKeysService(c.env.deps).list(), 200))
  .openapi(getKeyRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await apiKeysService(c.env.deps).get(id), 200);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await apiKeysService(c.env.deps).revoke(id), 200);
  });
