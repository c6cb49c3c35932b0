/**
 * Every failure the API reports is an AppError with a code from this table. The HTTP layer maps
 * it to RFC 9457 problem+json in exactly one place (http/problem.ts); nothing else builds error
 * responses.
 */
export const PROBLEMS = {
  validation: { status: 400, title: "Request validation failed" },
  "malformed-json": { status: 400, title: "Malformed JSON body" },
  unauthorized: { status: 401, title: "Missing or invalid API key" },
  forbidden: { status: 403, title: "API key lacks the required scope" },
  "not-found": { status: 404, title: "Resource not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict with the current state" },
  "precondition-failed": { status: 412, title: "Precondition failed" },
  "payload-too-large": { status: 413, title: "Request body too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "rate-limited": { status: 429, title: "Too many requests" },
  // POST /api/ingest/sns is authenticated by the message's own signature, not by HTTP
  // authentication, so its refusals are 403s: a 401 must carry a WWW-Authenticate challenge
  // for an HTTP auth scheme (RFC 9110, section 15.5.2), and there is none a sender could answer.
  "sns-signature-invalid": { status: 403, title: "SNS message signature does not verify" },
  "sns-message-expired": { status: 403, title: "SNS message outside the replay window" },
  "sns-untrusted-url": { status: 403, title: "SNS URL not trusted" },
  "sns-topic-not-allowed": { status: 403, title: "SNS topic not allowed" },
  internal: { status: 500, title: "Internal server error" },
  "bad-gateway": { status: 502, title: "Upstream service failed" },
  "service-unavailable": { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** One field-level problem, e.g. `{ location: "body", path: "storeId", message: "…" }`. */
export interface FieldError {
  location: "body" | "query" | "path" | "header";
  path: string;
  message: string;
  code: string;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** RFC 9457 extension members, for clients that act on a problem (e.g. `requiredScope`). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = "AppError";
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

export const problemType = (code: ProblemCode): string => `urn:game-db:problem:${code}`;

export const notFound = (what: string, id: number | string): AppError =>
  new AppError("not-found", `${what} ${id} does not exist`);

/** True when a database error (or any error in its cause chain) is a UNIQUE violation. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
  }
  return false;
}
