// What the games view shows, as kept in the URL (#/games?name=…&platform=…&limit=…&page=…), and
// the API request for it. Pages are numbered: page N is `offset=(N-1)×limit`, so any page can be
// linked to and reloaded. Past the API's deepest offset the API's `Link` switches to a cursor
// (README "Paging and its limits"); the URL then carries that cursor too (`after`), and pages
// that deep are reached with "Next page".
import { href } from "../../router";
import { PLATFORM_LABELS, type Platform } from "../../types";

export const PAGE_SIZES = ["25", "50", "100"];

export interface GamesQuery {
  name: string;
  platform: "" | Platform;
  limit: string;
  page: number;
  /** The API's cursor for this page, when it is past the deepest offset. */
  after: string | null;
}

export function queryFrom(params: URLSearchParams): GamesQuery {
  const platform = params.get("platform");
  const limit = params.get("limit") ?? "";
  const page = Number(params.get("page"));
  return {
    name: params.get("name") ?? "",
    platform: platform === "ios" || platform === "android" ? platform : "",
    limit: PAGE_SIZES.includes(limit) ? limit : PAGE_SIZES[0]!,
    page: Number.isSafeInteger(page) && page > 1 ? page : 1,
    after: params.get("after") || null,
  };
}

/** The criteria alone: a change of any of them starts again from page 1. */
export const criteriaKey = (q: GamesQuery) => JSON.stringify([q.name, q.platform, q.limit]);

/** The UI location of `q` (defaults left out, so the plain list is `#/games`). */
export function gamesHref(q: GamesQuery): string {
  return href("/games", {
    name: q.name,
    platform: q.platform,
    limit: q.limit === PAGE_SIZES[0] ? undefined : q.limit,
    page: q.page > 1 ? String(q.page) : undefined,
    after: q.after ?? undefined,
  });
}

/** The API request for `q`: the list, or the search route when there are criteria. */
export function apiPath(q: GamesQuery): string {
  const params = new URLSearchParams({ limit: q.limit });
  if (q.name) params.set("name", q.name);
  if (q.platform) params.set("platform", q.platform);
  if (q.after) params.set("cursor", q.after);
  else params.set("offset", String((q.page - 1) * Number(q.limit)));
  return `${q.name || q.platform ? "/api/games/search" : "/api/games"}?${params}`;
}

/** The page after `q`, from the API's `rel="next"` link (null: `q` is the last page). */
export function nextQuery(q: GamesQuery, next: string | null): GamesQuery | null {
  if (next === null) return null;
  const cursor = new URL(next, location.origin).searchParams.get("cursor");
  return { ...q, page: q.page + 1, after: cursor };
}

/** Cursors of pages visited in this tab, so "Previous page" can go back past the deepest offset. */
const visitedCursors = new Map<string, string>();

export function rememberPage(q: GamesQuery): void {
  if (q.after) visitedCursors.set(`${criteriaKey(q)}#${q.page}`, q.after);
}

/** The page before `q`: by offset, or by the cursor it was visited with. */
export function previousQuery(q: GamesQuery): GamesQuery | null {
  if (q.page <= 1) return null;
  const page = q.page - 1;
  return { ...q, page, after: visitedCursors.get(`${criteriaKey(q)}#${page}`) ?? null };
}

/**
 * How many pages there are: from X-Total-Count, which for a name search may be a lower bound
 * ("more than `count`"); the page shown and whether it has a next one narrow that down.
 */
export function pageCount(q: GamesQuery, total: { count: number; atLeast: boolean } | null, hasNext: boolean): { count: number; atLeast: boolean } | null {
  if (!total) return null;
  const limit = Number(q.limit);
  if (!total.atLeast) return { count: Math.max(1, Math.ceil(total.count / limit)), atLeast: false };
  if (!hasNext) return { count: q.page, atLeast: false };
  return { count: Math.max(Math.ceil((total.count + 1) / limit), q.page + 1), atLeast: true };
}

/** "matching “bingo” on iOS" */
export function describeCriteria(q: Pick<GamesQuery, "name" | "platform">): string {
  return [q.name ? `matching “${q.name}”` : "", q.platform ? `on ${PLATFORM_LABELS[q.platform]}` : ""].filter(Boolean).join(" ");
}
