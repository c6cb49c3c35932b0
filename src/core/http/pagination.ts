import { z } from "@hono/zod-openapi";
import { AppError } from "../errors";

export const MAX_PAGE_SIZE = 1000;

/** `limit` plus either an opaque `cursor` (keyset, stable under inserts) or an `offset`. */
export const pageQueryFields = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(100)
    .openapi({ description: `Page size, 1–${MAX_PAGE_SIZE}`, example: 100 }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'Opaque cursor from the `Link: <…>; rel="next"` header of the previous page' }),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: "Rows to skip; prefer `cursor`, which stays fast on deep pages" }),
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
    if (afterId === null) throw queryError("cursor", "is not a cursor issued by this API", "invalid_cursor");
    return { limit: query.limit, afterId };
  }
  return query.offset !== undefined ? { limit: query.limit, offset: query.offset } : { limit: query.limit };
}

/**
 * Headers describing a page: `X-Total-Count`, and a `Link` to the next page when there is one.
 * `baseUrl` carries the filters; the next page keeps them and replaces the position.
 */
export function pageHeaders(
  baseUrl: URL,
  page: Page,
  result: { rows: { id: number }[]; hasMore: boolean; total: number },
): Record<string, string> {
  const headers: Record<string, string> = { "X-Total-Count": String(result.total) };
  const last = result.rows.at(-1);
  if (result.hasMore && last) {
    const next = new URL(baseUrl);
    next.searchParams.set("limit", String(page.limit));
    if (page.offset !== undefined) {
      next.searchParams.delete("cursor");
      next.searchParams.set("offset", String(page.offset + page.limit));
    } else {
      next.searchParams.delete("offset");
      next.searchParams.set("cursor", encodeCursor(last.id));
    }
    headers.Link = `<${next.href}>; rel="next"`;
  }
  return headers;
}
