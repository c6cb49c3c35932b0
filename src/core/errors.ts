/**
 * Every failure the API reports is an AppError with a code from this table. The HTTP layer maps
 * it to RFC 9457 problem+json in exactly one place (http/problem.ts); nothing else builds error
 * responses.
 */
export const PROBLEMS = {
  validation: {
    status: 400,
    title: "Request validation failed",
    explanation:
      "A path parameter, query parameter or body field does not follow the operation's schema: a value of the wrong type or out of range, a missing required field, a control character in a text, a query parameter the operation does not define or one given twice, or a number not written in plain digits. `errors` lists every problem, one entry per field, with its `location` (body, query, path or header), `path`, `message` and a machine-readable `code`.",
    action:
      "Correct each field named in `errors` and send the request again; nothing was changed. The operation's schema in /openapi.json (or /docs) gives every field's type and limits. Ask for each page exactly as the `Link` header spells it: a re-spelled cursor or limit is refused.",
  },
  "malformed-json": {
    status: 400,
    title: "Malformed JSON body",
    explanation: "The request body is declared as JSON but does not parse (a missing quote or brace, a trailing comma, a body cut short). The `detail` quotes the parser's message and position.",
    action: "Send a body that is one valid JSON value (check it with a JSON linter), with `Content-Type: application/json`. Nothing was changed.",
  },
  unauthorized: {
    status: 401,
    title: "Missing or invalid API key",
    explanation:
      "Every /api route needs an API key, sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`. This request had none, or a key that is unknown or revoked: both get the same answer, so that a leaked key that was revoked reveals nothing.",
    action: "Send the key your team was given (it starts with `gdb_`). If it stopped working, it was probably revoked or rotated: ask an administrator for a new one.",
  },
  forbidden: {
    status: 403,
    title: "API key lacks the required scope",
    explanation: "The key is valid but was not granted the scope this operation needs. `requiredScope` names that scope and `grantedScopes` lists the key's own.",
    action: "Use a key that holds `requiredScope` (the `admin` scope holds them all), or ask an administrator for a key with it. Retrying with the same key will not help.",
  },
  "not-found": {
    status: 404,
    title: "Resource not found",
    explanation: "Nothing exists at this URL: no route has this path, or the game, key, ingestion run or file with this id does not exist (or was deleted).",
    action: "Check the path and the id (ids come from list responses and `Location` headers). A game deleted by someone else stays deleted; list again to find what exists.",
  },
  "method-not-allowed": {
    status: 405,
    title: "Method not allowed",
    explanation: "The path exists but does not accept this HTTP method. The `Allow` header lists the methods it does accept.",
    action: "Use one of the methods in `Allow`, as the API document describes the path.",
  },
  conflict: {
    status: 409,
    title: "Conflict with the current state",
    explanation:
      "The request clashes with what is stored: for a game, another game already has this `platform` and `storeId` (the `detail` names its id); for an ingestion file, its state does not allow the action.",
    action: "Read the existing resource the `detail` names and update it instead of creating a new one, or change the request so that it no longer clashes.",
  },
  "precondition-failed": {
    status: 412,
    title: "Precondition failed",
    explanation: "The request was conditional on `If-Match`, and the resource has changed since that ETag was read: someone else, or an ingestion, wrote it in between. Nothing was changed.",
    action: "GET the resource again, reapply your change to what it is now, and send it with the new ETag.",
  },
  "payload-too-large": {
    status: 413,
    title: "Request body too large",
    explanation: "Request bodies are limited to 64 KiB, which is far more than one game or API key needs.",
    action: "Send one resource per request; for many games, upload a data file to the ingestion bucket instead of calling the API in bulk.",
  },
  "unsupported-media-type": {
    status: 415,
    title: "Unsupported media type",
    explanation: "This operation takes a JSON body, and the request's `Content-Type` was something else (or missing).",
    action: "Send the body as JSON with `Content-Type: application/json`.",
  },
  "rate-limited": {
    status: 429,
    title: "Too many requests",
    explanation:
      "The key (or, on public routes and failed authentication, the client address) used up its quota for the current window; the `RateLimit` and `RateLimit-Policy` headers on every response show the quota and what is left. `POST /api/games/populate` also answers 429 within its cooldown, with the `statusUrl` of the run the key already started.",
    action:
      "Wait the number of seconds in `Retry-After`, then retry. To need fewer requests: send `If-None-Match` (a 304 is cheap), use larger pages with the cursor in `Link`, and back off exponentially on repeated 429s. Ask the API's operators if your team needs a higher limit.",
  },
  // POST /api/ingest/sns is authenticated by the message's own signature, not by HTTP
  // authentication, so its refusals are 403s: a 401 must carry a WWW-Authenticate challenge
  // for an HTTP auth scheme (RFC 9110, section 15.5.2), and there is none a sender could answer.
  "sns-signature-invalid": {
    status: 403,
    title: "SNS message signature does not verify",
    explanation:
      "POST /api/ingest/sns accepts only messages Amazon SNS signed: the signature over the message's documented fields did not verify with the certificate at `SigningCertURL` (a changed field, another key, or a SignatureVersion that does not match), or that certificate is outside its validity period. Nothing was enqueued.",
    action: "Nothing to do for a genuine SNS delivery (SNS signs every message). If you are testing, sign the message as SNS does; a forged or altered message is refused every time.",
  },
  "sns-message-expired": {
    status: 403,
    title: "SNS message outside the replay window",
    explanation: "The message's `Timestamp` is more than 65 minutes old or more than 5 minutes ahead: a replayed message, or a clock far off. SNS's own retries stay within the window.",
    action: "Nothing to do for a live subscription. An old message cannot be replayed; the daily scan ingests any file whose notification was lost.",
  },
  "sns-untrusted-url": {
    status: 403,
    title: "SNS URL not trusted",
    explanation: "The message's `SigningCertURL` (or a confirmation's `SubscribeURL`) is not an https URL on Amazon SNS's own host (`sns.<region>.amazonaws.com`), so it is neither fetched nor trusted.",
    action: "Only messages that Amazon SNS sends are accepted; check that the subscription is an SNS topic's HTTPS subscription.",
  },
  "sns-topic-not-allowed": {
    status: 403,
    title: "SNS topic not allowed",
    explanation: "The message's `TopicArn` is not in the `SNS_TOPIC_ARNS` allow-list of this environment (an empty list refuses every topic).",
    action: "An operator adds the bucket notification topic's ARN to `SNS_TOPIC_ARNS` (docs/RUNBOOK.md) and SNS delivers again.",
  },
  internal: {
    status: 500,
    title: "Internal server error",
    explanation: "The server failed while handling the request; nothing about the failure is disclosed. It was logged with this response's `requestId`.",
    action: "Retry later; if it keeps failing, report the `requestId` (also in the `X-Request-Id` header) to the API's operators. A write may or may not have been applied: read the resource before repeating it.",
  },
  "bad-gateway": {
    status: 502,
    title: "Upstream service failed",
    explanation: "A service the API depends on failed while handling the request: for `POST /api/games/populate`, listing the S3 bucket of ranking files. The `detail` names the upstream error.",
    action: "Retry later. If it persists (an access or configuration error in the `detail`), tell the API's operators: the ingestion's credentials or bucket settings need fixing.",
  },
  "service-unavailable": {
    status: 503,
    title: "Service unavailable",
    explanation:
      "The API cannot complete the request right now: it is misconfigured, or a platform service (the queue, the key-value store) refused a change. The `detail` says what happened and whether the change was recorded.",
    action:
      "Repeat the same request, after `Retry-After` when it is present: a misconfigured API did nothing, and the operations that can answer 503 after recording part of a change (revoking a key, retrying an ingestion file) are idempotent. If it persists, report the `requestId` to the API's operators.",
  },
} as const satisfies Record<string, ProblemDefinition>;

/** One entry of the problem registry: what a client sees, and what the catalogue page (/problems/<code>) explains. */
export interface ProblemDefinition {
  status: number;
  title: string;
  /** What the problem means, for a person reading the catalogue page. Markdown-style `code` spans only. */
  explanation: string;
  /** What the client should do about it. */
  action: string;
}

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

/**
 * A problem's `type`: a URI reference to its page in the catalogue this API serves
 * (http/routes/problems.ts). Relative, with the full path, as RFC 9457 §3.1.1 recommends for
 * relative references: a client resolves it against the URL of the response, so it opens on
 * every environment and runtime, and it is the same string everywhere, to compare as an identifier.
 */
export const problemType = (code: ProblemCode): string => `/problems/${code}`;

export const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

export const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(PROBLEMS, code);

export const notFound = (what: string, id: number | string): AppError =>
  new AppError("not-found", `${what} ${id} does not exist`);

/** True when a database error (or any error in its cause chain) is a UNIQUE violation. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
  }
  return false;
}
