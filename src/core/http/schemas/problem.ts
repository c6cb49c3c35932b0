import { z } from "@hono/zod-openapi";
import { type FieldError, PROBLEMS, type ProblemCode, problemType } from "../../errors";

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
    type: z.string().openapi({
      example: "/problems/validation",
      description: "The problem type: a URI reference to its page in the error catalogue (resolve it against the request's URL), which explains the error and what to do. The same string in every environment: compare it to identify the problem. All types: GET /problems",
    }),
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
  .openapi("Problem", { description: "RFC 9457 problem details", externalDocs: { description: "Every problem type, what it means and what to do", url: "/problems" } });

/**
 * A response header in the document. `required: true` where every response of that kind carries
 * it: the tests check each response against the document (test/support/openapi-responses.ts).
 */
export interface HeaderDoc {
  schema: { type: "string" | "integer"; enum?: string[] };
  description: string;
  required?: boolean;
}

export const REQUEST_ID_HEADER = {
  "X-Request-Id": { schema: { type: "string" }, description: "Identifies the request in the logs (and in a problem's `requestId`)", required: true },
} satisfies Record<string, HeaderDoc>;

const RATE_LIMIT_HEADERS = {
  RateLimit: {
    schema: { type: "string" },
    description: 'Remaining quota, e.g. `"per-key";r=1199;t=60` (draft-ietf-httpapi-ratelimit-headers)',
    required: true,
  },
  "RateLimit-Policy": { schema: { type: "string" }, description: 'Quota policy, e.g. `"per-key";q=1200;w=60`', required: true },
} satisfies Record<string, HeaderDoc>;

/** Headers particular to a problem, besides X-Request-Id (which every response carries). */
const PROBLEM_HEADERS: Partial<Record<ProblemCode, Record<string, HeaderDoc>>> = {
  unauthorized: { "WWW-Authenticate": { schema: { type: "string" }, description: 'The scheme to authenticate with: `Bearer realm="game-db"`', required: true } },
  "rate-limited": { ...RATE_LIMIT_HEADERS, "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait", required: true } },
  "service-unavailable": { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait before repeating the request, when the API can tell" } },
};

interface ProblemExample {
  /** When a client meets this problem; Swagger UI lists it in the example picker. */
  summary: string;
  instance: string;
  detail: string;
  errors?: FieldError[];
  extensions?: Record<string, unknown>;
}

/**
 * What each problem looks like on the wire, as the API words it (the details are the ones the
 * code throws), so that /docs shows a 401 as a 401 rather than whichever example the schema
 * happens to carry. Keyed by every code: a new code without an example does not typecheck.
 */
const PROBLEM_EXAMPLES: Record<ProblemCode, ProblemExample> = {
  // Every /api route refuses unknown query parameters, so this one is true of each of them.
  validation: {
    summary: "Invalid input: one errors[] entry per body field, path or query parameter (here a misspelt parameter)",
    instance: "/api/games",
    detail: "Invalid query.limt",
    errors: [{ location: "query", path: "limt", message: "is not a recognised query parameter", code: "unrecognized_key" }],
  },
  "malformed-json": {
    summary: "The body is not JSON",
    instance: "/api/games",
    detail: "The body is not valid JSON: Expected property name or '}' in JSON at position 1",
  },
  unauthorized: {
    summary: "No API key, or one that is unknown or revoked (the same answer for both)",
    instance: "/api/games",
    detail: "The API key is not recognised",
  },
  forbidden: {
    summary: "The key lacks the route's scope",
    instance: "/api/games",
    detail: 'This route needs the "games:write" scope; the key has: games:read',
    extensions: { requiredScope: "games:write", grantedScopes: ["games:read"] },
  },
  "not-found": { summary: "No such resource", instance: "/api/games/42", detail: "Game 42 does not exist" },
  "method-not-allowed": {
    summary: "The path exists, the method does not (Allow lists those that do)",
    instance: "/api/games/42",
    detail: "POST is not supported here; use GET, PUT, PATCH, DELETE",
  },
  conflict: {
    summary: "The request clashes with the current state (e.g. a game with this platform and storeId exists)",
    instance: "/api/games",
    detail: "A game with platform ios and storeId 553834731 already exists (id 42)",
  },
  "precondition-failed": {
    summary: "If-Match no longer matches: the game changed since that ETag was read",
    instance: "/api/games/42",
    detail: "Game 42 does not match If-Match: it changed since that ETag was read. GET it again and reapply the change",
  },
  "payload-too-large": { summary: "The body is over 64 KiB", instance: "/api/games", detail: "Request bodies are limited to 65536 bytes" },
  "unsupported-media-type": {
    summary: "The body is not sent as application/json",
    instance: "/api/games",
    detail: 'Send the body as application/json (got "text/plain")',
  },
  "rate-limited": {
    summary: "Too many requests with this key (Retry-After says when to try again)",
    instance: "/api/games",
    detail: "Rate limit of 1200 requests per 60 s exceeded; retry in 12 s",
  },
  "sns-signature-invalid": {
    summary: "The SNS message's Signature does not verify with its certificate (tampered, or signed by another key), or the certificate has expired",
    instance: "/api/ingest/sns",
    detail: "The Signature does not match the message (SignatureVersion 2)",
  },
  "sns-message-expired": {
    summary: "The SNS message's Timestamp is older than the replay window (65 min) or in the future",
    instance: "/api/ingest/sns",
    detail: "The message was published at 2026-12-04T09:12:44.120Z, more than 65 minutes ago (SNS stops retrying after an hour): refused as a replay",
  },
  "sns-untrusted-url": {
    summary: "The SigningCertURL or SubscribeURL is not an https URL on sns.<region>.amazonaws.com",
    instance: "/api/ingest/sns",
    detail: "SigningCertURL is on sns.us-east-1.amazonaws.com.evil.test, not an Amazon SNS host (sns.<region>.amazonaws.com)",
  },
  "sns-topic-not-allowed": {
    summary: "The SNS message's TopicArn is not in SNS_TOPIC_ARNS (or the list is empty)",
    instance: "/api/ingest/sns",
    detail: "Topic arn:aws:sns:eu-west-1:123456789012:someone-elses-topic is not in SNS_TOPIC_ARNS",
  },
  internal: { summary: "An unexpected failure (no internals are disclosed)", instance: "/api/games", detail: "The server failed to handle this request" },
  "bad-gateway": {
    summary: "S3 failed while the run listed the bucket",
    instance: "/api/games/populate",
    detail: "Ingestion run 12 failed while scanning the bucket: s3-403: ListObjectsV2 page 1 of s3://game-db-rankings/daily/: S3 answered 403 AccessDenied",
  },
  // Any route: a server whose configuration does not parse answers every request so
  // (http/misconfigured.ts); a few routes also when a platform service (queue, KV) refused a change.
  "service-unavailable": {
    summary: "The service cannot answer now: it is misconfigured, or a platform service (queue, KV) refused the change; the detail says what to do",
    instance: "/api/games",
    detail: "The service is misconfigured; operators have been told via the logs",
  },
};

/** What a response with this problem looks like (also shown on the problem's catalogue page). */
export function problemExample(code: ProblemCode) {
  const { summary, instance, detail, errors, extensions } = PROBLEM_EXAMPLES[code];
  const { status, title } = PROBLEMS[code];
  return {
    summary,
    value: {
      type: problemType(code),
      title,
      status,
      detail,
      instance,
      requestId: "8f14e45f-ceea-4e7a-9f0b-3c5d2a1b6e90",
      ...extensions,
      ...(errors ? { errors } : {}),
    },
  };
}

type ProblemContent = {
  "application/problem+json": { schema: typeof ProblemSchema; examples: Record<string, ReturnType<typeof problemExample>> };
};

/** The headers of a status that stands for several problems: required only where each of them carries it. */
function mergeHeaders(a: Record<string, HeaderDoc>, b: Record<string, HeaderDoc>): Record<string, HeaderDoc> {
  const merged: Record<string, HeaderDoc> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const header = (a[name] ?? b[name])!;
    merged[name] = { ...header, required: Boolean(a[name]?.required && b[name]?.required) };
    if (!merged[name].required) delete merged[name].required;
  }
  return merged;
}

/** The OpenAPI `responses` entries for the given error codes (plus 429, 500 and 503, always possible). */
export function errorResponses(...codes: ProblemCode[]) {
  const all = new Set<ProblemCode>([...codes, "rate-limited", "internal", "service-unavailable"]);
  const responses: Record<number, { description: string; content: ProblemContent; headers: Record<string, HeaderDoc> }> = {};
  for (const code of all) {
    const { status, title } = PROBLEMS[code];
    const prior = responses[status];
    // One example per problem a status stands for (a 400 may be a validation error or bad JSON).
    const examples = { ...prior?.content["application/problem+json"].examples, [code]: problemExample(code) };
    const own: Record<string, HeaderDoc> = { ...REQUEST_ID_HEADER, ...PROBLEM_HEADERS[code] };
    responses[status] = {
      description: prior ? `${prior.description}; ${title}` : title,
      content: { "application/problem+json": { schema: ProblemSchema, examples } },
      headers: prior ? mergeHeaders(prior.headers, own) : own,
    };
  }
  return responses;
}

/**
 * Errors every authenticated /api route can return: a missing or unknown key, a missing scope,
 * and a 400 for a query parameter the route does not define (every route's query is strict,
 * http/schemas/params.ts).
 */
export const AUTHENTICATED_ERRORS: ProblemCode[] = ["validation", "unauthorized", "forbidden"];
export { RATE_LIMIT_HEADERS };
