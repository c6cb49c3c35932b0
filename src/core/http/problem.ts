import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ProblemCode, problemType } from "../errors";
import { describeError } from "../log";
import type { RequestIdEnv } from "./env";

// Validation problems are built in the foundation so services can raise the same ones.
export { fieldErrors, validationError } from "../validation";

const STATUS_CODES: Partial<Record<number, ProblemCode>> = {
  400: "malformed-json",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  405: "method-not-allowed",
  413: "payload-too-large",
  415: "unsupported-media-type",
  429: "rate-limited",
};

/** Anything thrown becomes an AppError; unknown failures become a bare 500. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    const code = STATUS_CODES[error.status];
    if (code) return new AppError(code, error.message || "Request rejected");
  }
  return new AppError("internal", "The server failed to handle this request", { cause: error });
}

/** The one place an error becomes an HTTP response. */
export function problemResponse<E extends RequestIdEnv>(c: Context<E>, error: unknown): Response {
  const problem = toAppError(error);
  if (problem.status >= 500) {
    c.env.deps.log.error("request failed", {
      requestId: c.get("requestId"),
      route: c.req.routePath,
      error: describeError(problem.cause ?? problem),
    });
  }
  const body = {
    type: problemType(problem.code),
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: new URL(c.req.url).pathname,
    requestId: c.get("requestId"),
    ...problem.extensions,
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
  return c.newResponse(JSON.stringify(body), problem.status as ContentfulStatusCode, {
    ...problem.headers,
    "Content-Type": "application/problem+json",
  });
}
