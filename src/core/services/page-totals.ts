import type { GameFilter } from "../data/games";
import type { Total } from "../domain/page";

/** The most totals an isolate remembers; the least recently used goes first. */
const MAX_ENTRIES = 1_000;

/**
 * `X-Total-Count` of each filter at each data version, remembered by the isolate. A total can only
 * change when the data version does, and every page of one walk (cursor or offset) has the same
 * total, so the count — the dearer half of a page's batch on a large table — runs once per filter
 * and version instead of once per page. Entries of older versions are never asked for again and
 * age out.
 */
export interface PageTotals {
  get(version: string, filter: GameFilter): Total | undefined;
  set(version: string, filter: GameFilter, total: Total): void;
}

export function createPageTotals(maxEntries = MAX_ENTRIES): PageTotals {
  const totals = new Map<string, Total>();
  const keyOf = (version: string, filter: GameFilter) => JSON.stringify([version, filter.platform ?? null, filter.name ?? null]);
  return {
    get(version, filter) {
      const key = keyOf(version, filter);
      const total = totals.get(key);
      if (total) {
        totals.delete(key);
        totals.set(key, total);
      }
      return total;
    },
    set(version, filter, total) {
      const key = keyOf(version, filter);
      totals.delete(key);
      totals.set(key, total);
      if (totals.size > maxEntries) totals.delete(totals.keys().next().value!);
    },
  };
}
