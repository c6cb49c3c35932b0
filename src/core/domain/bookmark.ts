/**
 * A D1 bookmark names a point in a database's history: a session started from it reads data at
 * least that fresh (https://developers.cloudflare.com/d1/best-practices/read-replication/). The
 * documented form is four hyphen-separated lowercase hex fields of 8, 8, 8 and 32 digits
 * (`00000001-00000002-00004e2f-0a83ea2fceebc654de0640c422be4653`,
 * https://developers.cloudflare.com/d1/reference/time-travel/#bookmarks); anything else a client
 * sends is refused before it reaches D1.
 */
export type Bookmark = string;

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
/** The same rule as a JSON Schema `pattern` (for the OpenAPI document). */
export const BOOKMARK_PATTERN = BOOKMARK.source;

/** The length of every well-formed bookmark (8 + 8 + 8 + 32 digits and 3 hyphens). */
export const BOOKMARK_LENGTH = 59;

export const isBookmark = (value: string): value is Bookmark => BOOKMARK.test(value);

/**
 * The freshest of some bookmarks, or null when none is given. Bookmarks sort lexicographically
 * from oldest to newest (the time-travel page above), so the freshest is the greatest string.
 */
export function freshestBookmark(...bookmarks: readonly (Bookmark | null | undefined)[]): Bookmark | null {
  let freshest: Bookmark | null = null;
  for (const bookmark of bookmarks) if (bookmark && (freshest === null || bookmark > freshest)) freshest = bookmark;
  return freshest;
}

/**
 * Where a session starts: on the primary (a request that writes), wherever is nearest
 * (a read), or at least as fresh as a bookmark.
 */
export type SessionStart = "first-primary" | "first-unconstrained" | { bookmark: Bookmark };

/** The start that honours both `start` and "at least as fresh as `bookmark`". */
export function startAtLeast(start: SessionStart, bookmark: Bookmark | null): SessionStart {
  if (bookmark === null || start === "first-primary") return start;
  if (start === "first-unconstrained") return { bookmark };
  return { bookmark: freshestBookmark(start.bookmark, bookmark)! };
}

/** The bookmark a start names, if any. */
export const bookmarkOf = (start: SessionStart): Bookmark | null => (typeof start === "object" ? start.bookmark : null);
