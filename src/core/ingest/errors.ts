/**
 * How a failed ingestion step should be handled: `transient` failures (network, timeouts, 5xx,
 * throttling, a cut-off download) are retried with backoff; `permanent` ones (403, 404, 412, a
 * file that is not valid JSON) are not, because retrying cannot change the outcome.
 */
export type FailureKind = "transient" | "permanent";

export class IngestError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** A stable, short machine-readable reason, e.g. `s3-403`, `timeout`, `malformed-json`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "IngestError";
  }
}

/** Anything not classified is treated as transient: retrying is safe, giving up is not. */
export function classify(error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  const message = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 300) : String(error).slice(0, 300);
  return new IngestError("transient", "unexpected", message, { cause: error });
}
