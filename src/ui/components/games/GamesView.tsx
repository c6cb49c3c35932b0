import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, nextLink, totalCount } from "../../api";
import { useApp } from "../../context";
import { useApiResource } from "../../hooks/use-resource";
import { navigate } from "../../router";
import type { Game } from "../../types";
import { ProblemMessage } from "../ProblemMessage";
import { ScopeNote } from "../ScopeNote";
import { DeleteGameDialog } from "./DeleteGameDialog";
import { GamesSummary } from "./GamesSummary";
import { GamesTable, WRITE_REASON_ID } from "./GamesTable";
import { apiPath, gamesHref, nextQuery, pageCount, previousQuery, queryFrom, rememberPage, type GamesQuery } from "./games-query";
import { Pager } from "./Pager";
import { SearchForm } from "./SearchForm";

/** Games: search, a numbered page of them, and delete. Criteria and page live in the URL. */
export function GamesView({ params }: { params: URLSearchParams }) {
  const { announce, access } = useApp();
  const query = queryFrom(params);
  const canRead = access.can("games:read");
  const games = useApiResource<Game[]>(canRead ? apiPath(query) : null);
  const [toDelete, setToDelete] = useState<Game | null>(null);
  const summaryRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => rememberPage(query), [gamesHref(query)]);

  const go = (q: GamesQuery | null) => (q ? () => navigate(gamesHref(q)) : null);
  const total = games.headers ? totalCount(games.headers) : null;
  const rows = games.settled ? games.data! : null;
  const next = rows && games.headers ? nextQuery(query, nextLink(games.headers)) : null;
  const pages = rows ? pageCount(query, total, next !== null) : null;

  const deleted = (game: Game) => {
    setToDelete(null);
    const message = `Deleted “${game.name}” (id ${game.id}).`;
    // The last game of a later page: that page is gone, show the one before.
    const previous = rows?.length === 1 ? previousQuery(query) : null;
    if (previous) announce(message, "success", { navigateTo: gamesHref(previous) });
    else (announce(message, "success"), games.reload());
    // Once the dialog is gone (the rest of the page is inert while it is open).
    requestAnimationFrame(() => summaryRef.current?.focus());
  };
  const tooDeep = games.error instanceof ApiError && games.error.problem.errors?.some((e) => e.code === "offset_too_deep");

  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title" tabIndex={-1}>
          Games
        </h1>
        {access.can("games:write") ? (
          <a class="button primary" href="#/games/new">
            New game
          </a>
        ) : (
          <button type="button" class="primary" disabled aria-describedby={WRITE_REASON_ID}>
            New game
          </button>
        )}
      </div>
      <ScopeNote scope="games:write" id={WRITE_REASON_ID}>
        New game, Edit and Delete are disabled:
      </ScopeNote>

      <SearchForm query={query} onSearch={(criteria) => navigate(gamesHref({ ...query, ...criteria, page: 1, after: null }))} />

      <ScopeNote scope="games:read" id="games-read-reason" />
      {canRead ? <GamesSummary focusRef={summaryRef} query={query} rows={rows} total={total} failed={games.error !== null} /> : null}
      {tooDeep ? (
        <p class="problem" role="alert">
          Page {query.page} is too deep to open by its number: the API reaches pages that far only by following “Next page” from an earlier page.{" "}
          <a href={gamesHref({ ...query, page: 1, after: null })}>First page</a>
        </p>
      ) : (
        <ProblemMessage error={games.error} />
      )}

      {games.data && games.data.length > 0 && !games.error ? <GamesTable games={games.data} busy={games.loading} onDelete={setToDelete} /> : null}

      {games.data && !games.error && (query.page > 1 || next) ? (
        <Pager
          page={query.page}
          pages={pages}
          busy={games.loading}
          onFirst={go(query.page > 1 ? { ...query, page: 1, after: null } : null)}
          onPrevious={go(previousQuery(query))}
          onNext={go(next)}
        />
      ) : null}

      {toDelete ? <DeleteGameDialog game={toDelete} onDeleted={deleted} onCancel={() => setToDelete(null)} /> : null}
    </section>
  );
}
