import { z } from "@hono/zod-openapi";
import { PROBLEMS, type ProblemCode } from "../../errors";

export const FieldErrorSchema = z
  .object({
    location: z.enum(["body", "query", "path", "header"]),
    path: z.string().openapi({ example: "storeId" }),
    message: z.string(),
    code: z.string().openapi({ example: "invalid_type" }),
  })
  .openapi("FieldError");

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:game-db:problem:validation" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().openapi({ example: "/api/games" }),
    requestId: z.string(),
    errors: z.array(FieldErrorSchema).optional().openapi({ description: "Per-field problems (400 validation)" }),
    requiredScope: z.string().optional().openapi({ description: "The scope the route needs (403)" }),
    grantedScopes: z.array(z.string()).optional().openapi({ description: "The scopes the key has (403)" }),
    statusUrl: z.string().optional().openapi({ description: "The run this key started within the populate cooldown (429 from populate)" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details" });

const RATE_LIMIT_HEADERS = {
  RateLimit: { schema: { type: "string" as const }, description: 'Remaining quota, e.g. `"per-key";r=1199;t=60` (draft-ietf-httpapi-ratelimit-headers)' },
  "RateLimit-Policy": { schema: { type: "string" as const }, description: 'Quota policy, e.g. `"per-key";q=1200;w=60`' },
};

const problemContent = { "application/problem+json": { schema: ProblemSchema } };

/** The OpenAPI `responses` entries for the given error codes (plus 429 and 500, always possible). */
export function errorResponses(...codes: ProblemCode[]) {
  const all = new Set<ProblemCode>([...codes, "rate-limited", "internal"]);
  const responses: Record<number, { description: string; content: typeof problemContent; headers?: object }> = {};
  for (const code of all) {
    const { status, title } = PROBLEMS[code];
    const prior = responses[status];
    responses[status] = {
      description: prior ? `${prior.description}; ${title}` : title,
      content: problemContent,
      ...(code === "rate-limited"
        ? { headers: { ...RATE_LIMIT_HEADERS, "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait" } } }
        : {}),
    };
  }
  return responses;
}

/** Errors every authenticated /api route can return. */
export const AUTHENTICATED_ERRORS: ProblemCode[] = ["unauthorized", "forbidden"];
export { RATE_LIMIT_HEADERS };
