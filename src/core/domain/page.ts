/** How to read one page of a list: after a known id (cursor) or after skipping rows (offset). */
export interface Page {
  limit: number;
  afterId?: number;
  offset?: number;
}

/** The number of rows matching a read: exact, or a lower bound when counting stopped early. */
export interface Total {
  count: number;
  exact: boolean;
}

/**
 * A name search counts at most this many matches. A short term is matched by scanning `games`,
 * and a term with a platform by looking up each match in `games`, so an exact count costs in
 * proportion to the matches — a whole-table scan for a common letter. Stopping at the cap bounds
 * it; the API then reports the total as "at least" the cap (`X-Total-Count-Relation: gte`).
 * Lists without a name are counted exactly on the (`platform`, `id`) index.
 */
export const MAX_COUNTED_MATCHES = 10_000;
