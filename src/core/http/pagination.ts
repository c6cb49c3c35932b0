import { z } from "@hono/zod-openapi";
import { AppError } from "../errors";
import { integerParam } from "./schemas/params";

const MAX_PAGE_SIZE = 1000;
/**
 * The deepest `offset` accepted. Skipping rows costs a read of each skipped row (and, for a name
 * search, a match test), so deep pages go by cursor; the `Link` of an offset walk switches to a
 * cursor past this point.
 */
export const MAX_OFFSET = 10_000;

/** `limit` plus either an opaque `cursor` (keyset, stable under inserts) or an `offset`. */
export const pageQueryFields = {
  limit: integerParam(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .default(100)
    .openapi({ description: `Page size, 1–${MAX_PAGE_SIZE}`, example: 100 }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'Opaque cursor from the `Link: <…>; rel="next"` header of the previous page', example: "eyJhZnRlciI6MTQyfQ" }),
  offset: integerParam(
    z
      .number()
      .int()
      .min(0)
      .refine((n) => n <= MAX_OFFSET, {
        message: `must be at most ${MAX_OFFSET}; for deeper pages follow the cursor in the Link header`,
        params: { code: "offset_too_deep" },
      })
      .openapi({ maximum: MAX_OFFSET }),
  )
    .optional()
    .openapi({
      example: 200,
      description: `Rows to skip, at most ${MAX_OFFSET}; prefer \`cursor\`, which stays fast on deep pages (an offset walk's \`Link\` switches to a cursor past ${MAX_OFFSET})`,
    }),
};

/** How to read one page: after a known id (cursor) or after skipping rows (offset). */
export interface Page {
  limit: number;
  afterId?: number;
  offset?: number;
}

export function encodeCursor(afterId: number): string {
  return btoa(JSON.stringify({ after: afterId })).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function decodeCursor(cursor: string): number | null {
  try {
    const json = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const after = (JSON.parse(json) as { after?: unknown }).after;
    return Number.isSafeInteger(after) && (after as number) >= 0 ? (after as number) : null;
  } catch {
    return null;
  }
}

const queryError = (path: string, message: string, code: string) =>
  new AppError("validation", `Invalid query.${path}`, { errors: [{ location: "query", path, message, code }] });

export function toPage(query: { limit: number; cursor?: string | undefined; offset?: number | undefined }): Page {
  if (query.cursor !== undefined && query.offset !== undefined) {
    throw queryError("cursor", "cannot be combined with offset", "conflicting_parameters");
  }
  if (query.cursor !== undefined) {
    const afterId = decodeCursor(query.cursor);
    // Only the spelling this API issues: another encoding of the same position would be
    // another read-cache entry for the same page.
    if (afterId === null || encodeCursor(afterId) !== query.cursor) {
      throw queryError("cursor", "is not a cursor issued by this API", "invalid_cursor");
    }
    return { limit: query.limit, afterId };
  }
  return query.offset !== undefined ? { limit: query.limit, offset: query.offset } : { limit: query.limit };
}

/** The number of rows matching a read: exact, or a lower bound when counting stopped early. */
export interface Total {
  count: number;
  exact: boolean;
}

/**
 * Headers describing a page: `X-Total-Count` (with `X-Total-Count-Relation`: `eq`, or `gte` when
 * counting stopped at a cap), and a `Link` to the next page when there is one. `baseUrl`
 * carries the filters; the next page keeps them and replaces the position. The link is relative
 * (RFC 8288 resolves it against the request URL): a cached page is served to callers of any
 * host name, so it must not name the host it was first computed for.
 */
export function pageHeaders(
  baseUrl: URL,
  page: Page,
  result: { rows: { id: number }[]; hasMore: boolean; total: Total },
): Record<string, string> {
  const headers: Record<string, string> = {
    "X-Total-Count": String(result.total.count),
    "X-Total-Count-Relation": result.total.exact ? "eq" : "gte",
  };
  const last = result.rows.at(-1);
  if (result.hasMore && last) {
    const next = new URL(baseUrl);
    next.searchParams.set("limit", String(page.limit));
    const nextOffset = page.offset === undefined ? undefined : page.offset + page.limit;
    if (nextOffset !== undefined && nextOffset <= MAX_OFFSET) {
      next.searchParams.delete("cursor");
      next.searchParams.set("offset", String(nextOffset));
    } else {
      next.searchParams.delete("offset");
      next.searchParams.set("cursor", encodeCursor(last.id));
    }
    headers.Link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return headers;
}
