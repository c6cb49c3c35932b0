import type { Ref } from "preact";
import { formatNumber } from "../../format";
import type { Game } from "../../types";
import { describeCriteria, gamesHref, type GamesQuery } from "./games-query";

interface Props {
  query: GamesQuery;
  /** The page's games once loaded for `query`; null while loading. */
  rows: Game[] | null;
  total: { count: number; atLeast: boolean } | null;
  failed: boolean;
}

/** "Showing 26–50 of 579 games matching “bingo”." — a live region, focused after a delete. */
export function GamesSummary({ query, rows, total, failed, focusRef }: Props & { focusRef?: Ref<HTMLParagraphElement> }) {
  const described = describeCriteria(query);
  const limit = Number(query.limit);
  const first = (query.page - 1) * limit + 1;
  const lastPage = total && !total.atLeast ? Math.max(1, Math.ceil(total.count / limit)) : null;
  let summary = failed ? "Games could not be loaded." : "Loading games…";
  let extra = null;
  if (rows && rows.length === 0) {
    if (query.page > 1) {
      summary = `Page ${formatNumber(query.page)} is past the last page.`;
      if (lastPage) extra = <a href={gamesHref({ ...query, page: lastPage, after: null })}>Go to the last page ({formatNumber(lastPage)})</a>;
    } else if (described) {
      summary = `No games ${described}.`;
    } else {
      summary = "No games yet.";
      extra = (
        <>
          <a href="#/ingest">Run an ingestion</a> or <a href="#/games/new">add a game</a>.
        </>
      );
    }
  } else if (rows) {
    const last = first + rows.length - 1;
    const of = total === null ? "" : ` of ${total.atLeast ? "more than " : ""}${formatNumber(total.count)}`;
    const noun = total?.count === 1 || (total === null && rows.length === 1) ? "game" : "games";
    summary = `Showing ${formatNumber(first)}–${formatNumber(last)}${of} ${noun}${described ? ` ${described}` : ""}.`;
  }
  return (
    <p class="result-summary" aria-live="polite" tabIndex={-1} ref={focusRef} data-testid="games-summary">
      {summary}
      {extra ? <> {extra}</> : null}
    </p>
  );
}
