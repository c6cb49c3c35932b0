import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { every } from "hono/combine";
import { AppError } from "../../errors";
import type { AppEnv } from "../env";

const MAX_BODY_BYTES = 64 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function hasBody(request: Request): boolean {
  if (!request.body) return false;
  const length = request.headers.get("content-length");
  return length === null || Number(length) > 0;
}

export interface BodyGuardOptions {
  /**
   * Also take JSON sent as `text/plain`: Amazon SNS posts its JSON messages with
   * `Content-Type: text/plain; charset=UTF-8` unless a delivery policy sets another
   * (POST /api/ingest/sns).
   */
  acceptTextPlain?: boolean;
}

const TEXT_PLAIN_MEDIA_TYPE = /^text\/plain\s*(?:;|$)/i;

/**
 * Every request body is JSON of at most 64 KiB. Checked before routing so that a wrong media
 * type is a 415, an oversize body a 413 and unparsable JSON a 400 on every route alike.
 */
export const jsonBodyGuard = (options: BodyGuardOptions = {}) =>
  every(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("payload-too-large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      },
    }),
    createMiddleware<AppEnv>(async (c, next) => {
      if (!METHODS_WITH_BODY.has(c.req.method) || !hasBody(c.req.raw)) return next();
      const type = c.req.header("Content-Type") ?? "";
      if (!JSON_MEDIA_TYPE.test(type) && !(options.acceptTextPlain && TEXT_PLAIN_MEDIA_TYPE.test(type))) {
        const expected = options.acceptTextPlain ? "application/json or text/plain" : "application/json";
        throw new AppError("unsupported-media-type", `Send the body as ${expected} (got ${type ? `"${type.slice(0, 100)}"` : "no Content-Type"})`);
      }
      try {
        // Hono caches the parsed body, so the route's validator reads this same value.
        await c.req.json();
      } catch (error) {
        throw new AppError("malformed-json", `The body is not valid JSON: ${error instanceof Error ? error.message.slice(0, 200) : "parse error"}`);
      }
      await next();
    }),
  );
