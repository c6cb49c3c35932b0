import { OpenAPIHono, z } from "@hono/zod-openapi";
import { REVOCATION_BOUND_SECONDS, UNPUBLISHED_REVOCATION_BOUND_SECONDS } from "../../services/auth/verdicts";
import { apiKeysService } from "../../services/api-keys";
import type { AppEnv } from "../env";
import { API_KEY_EXAMPLE, API_KEY_INPUT_EXAMPLE, CREATED_API_KEY_EXAMPLE } from "../schemas/examples";
import { ApiKeyInputSchema, ApiKeySchema, CreatedApiKeySchema } from "../schemas/api-key";
import { location, WRITE_HEADERS } from "../schemas/headers";
import { ID_PARAMS, NO_QUERY } from "../schemas/params";
import { apiRoute, json } from "./api-route";

const tags = ["API keys"];

const createKeyRoute = apiRoute(
  "admin",
  {
    method: "post",
    path: "/api/keys",
    tags,
    operationId: "createApiKey",
    summary: "Create an API key",
    description: "Returns the secret once. Only its SHA-256 hash is stored.",
    request: { query: NO_QUERY, body: { required: true, content: json(ApiKeyInputSchema, API_KEY_INPUT_EXAMPLE) } },
    responses: { 201: { description: "Created", headers: { ...WRITE_HEADERS, ...location("Path of the new key, e.g. `/api/keys/7`") }, content: json(CreatedApiKeySchema, CREATED_API_KEY_EXAMPLE) } },
  },
  { errors: ["validation", "malformed-json", "payload-too-large", "unsupported-media-type"] },
);

const listKeysRoute = apiRoute("admin", {
  method: "get",
  path: "/api/keys",
  tags,
  operationId: "listApiKeys",
  summary: "List API keys (no secrets)",
  request: { query: NO_QUERY },
  responses: { 200: { description: "All keys, revoked ones included", headers: WRITE_HEADERS, content: json(z.array(ApiKeySchema), [API_KEY_EXAMPLE]) } },
});

const getKeyRoute = apiRoute(
  "admin",
  {
    method: "get",
    path: "/api/keys/{id}",
    tags,
    operationId: "getApiKey",
    summary: "Get one API key (no secret)",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: { 200: { description: "The key", headers: WRITE_HEADERS, content: json(ApiKeySchema, API_KEY_EXAMPLE) } },
  },
  { errors: ["validation", "not-found"] },
);

const revokeKeyRoute = apiRoute(
  "admin",
  {
    method: "delete",
    path: "/api/keys/{id}",
    tags,
    operationId: "revokeApiKey",
    summary: "Revoke an API key",
    description:
      `Idempotent. The key is refused at once where the DELETE ran and everywhere within ${REVOCATION_BOUND_SECONDS} s. ` +
      "A 503 means the revocation is recorded but the edge cache (KV) refused it: repeat the DELETE until it answers 200 " +
      `(meanwhile the key stops everywhere within ${UNPUBLISHED_REVOCATION_BOUND_SECONDS} s all the same).`,
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: { 200: { description: "The revoked key", headers: WRITE_HEADERS, content: json(ApiKeySchema, { ...API_KEY_EXAMPLE, revokedAt: "2021-12-10T09:00:00.000Z" }) } },
  },
  { errors: ["validation", "not-found", "service-unavailable"] },
);

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
