import { z } from "@hono/zod-openapi";
import { BOOKMARK_LENGTH, BOOKMARK_PATTERN, isBookmark } from "../../domain/bookmark";

/** The request and response header that carries a D1 bookmark (Cloudflare's own convention). */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

const DESCRIPTION =
  "Read-your-writes across requests and locations. Every /api response that passed authentication carries the bookmark of its " +
  "database session (on a cache hit, the bookmark the cached entry is at least as fresh as); send the newest one you hold with your " +
  "next requests and they read data at least that fresh, from any location (a replica that is behind waits, or the primary answers). " +
  "Without it a read may come from a nearby replica a moment behind other clients' writes. A value not in the form the API returns " +
  "is a 400. On the Deno runtime (one SQLite file, always current) the header is accepted and returned but changes nothing.";

export const BookmarkSchema = z
  .string()
  .max(BOOKMARK_LENGTH, { abort: true })
  .refine(isBookmark, {
    message: "must be a bookmark as this API returned it in X-D1-Bookmark: four lowercase hex fields of 8, 8, 8 and 32 digits",
    params: { code: "invalid_bookmark" },
  })
  .openapi({ pattern: BOOKMARK_PATTERN });

/**
 * The header as a request parameter: registered once (components.parameters, routes/security.ts)
 * and referenced by every /api operation (routes/api-route.ts).
 */
export const BookmarkParameter = BookmarkSchema.optional().openapi(BOOKMARK_HEADER, {
  param: { name: BOOKMARK_HEADER, in: "header" },
  description: DESCRIPTION,
  example: "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683",
});

export const BookmarkHeaderSchema = z.object({ [BOOKMARK_HEADER]: BookmarkParameter });

/** The header as a response header (components.headers), referenced by every /api response. */
export const BOOKMARK_RESPONSE_HEADER = {
  schema: { type: "string" as const, pattern: BOOKMARK_PATTERN },
  description: DESCRIPTION,
};
