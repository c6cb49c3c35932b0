import { useEffect, useRef, useState } from "preact/hooks";
import { describeProblem, isAbort, nextLink, request, totalCount } from "../api";
import { useApp } from "../context";
import { formatNumber } from "../format";
import { href, navigate } from "../router";
import { PLATFORM_LABELS, type Game, type Platform } from "../types";
import { ConfirmDialog } from "./ConfirmDialog";
import { ProblemMessage } from "./ProblemMessage";

const PAGE_SIZES = ["25", "50", "100"];

interface Criteria {
  name: string;
  platform: "" | Platform;
  limit: string;
}

function criteriaFrom(params: URLSearchParams): Criteria {
  const platform = params.get("platform");
  const limit = params.get("limit") ?? "";
  return {
    name: params.get("name") ?? "",
    platform: platform === "ios" || platform === "android" ? platform : "",
    limit: PAGE_SIZES.includes(limit) ? limit : PAGE_SIZES[0]!,
  };
}

/** First page: the list, or the search route when there are criteria. */
function firstPageUrl({ name, platform, limit }: Criteria): string {
  const query = new URLSearchParams({ limit });
  if (!name && !platform) return `/api/games?${query}`;
  if (name) query.set("name", name);
  if (platform) query.set("platform", platform);
  return `/api/games/search?${query}`;
}

interface PageState {
  /** The request that produced this page, and the criteria it was for. */
  url: string;
  criteria: Criteria;
  rows: Game[];
  total: { count: number; atLeast: boolean } | null;
  next: string | null;
}

export function GamesView({ params }: { params: URLSearchParams }) {
  const { announce, refreshStats } = useApp();
  const criteria = criteriaFrom(params);
  const criteriaKey = `${criteria.name}\u0000${criteria.platform}\u0000${criteria.limit}`;
  const [form, setForm] = useState(criteria);
  /** URLs of the pages visited so far; the last one is shown. Cursor paging only goes forward. */
  const [pages, setPages] = useState<string[]>([firstPageUrl(criteria)]);
  const [page, setPage] = useState<PageState | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);
  const [toDelete, setToDelete] = useState<Game | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const summaryRef = useRef<HTMLParagraphElement>(null);

  // New criteria (from the URL): back to the first page.
  useEffect(() => {
    setForm(criteria);
    setPages([firstPageUrl(criteria)]);
  }, [criteriaKey]);

  const current = pages[pages.length - 1]!;
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    const forCriteria = criteria;
    request<Game[]>(current, { signal: controller.signal })
      .then((res) => {
        setPage({ url: current, criteria: forCriteria, rows: res.data, total: totalCount(res.headers), next: nextLink(res.headers) });
        setError(null);
      })
      .catch((failure) => {
        if (isAbort(failure)) return;
        setError(failure);
        setPage(null);
      })
      .finally(() => controller.signal.aborted || setLoading(false));
    return () => controller.abort();
  }, [current, reload]);

  const submit = (event: Event) => {
    event.preventDefault();
    const target = href("/games", { name: form.name.trim(), platform: form.platform, limit: form.limit === PAGE_SIZES[0] ? undefined : form.limit });
    navigate(target);
  };
  const clear = () => {
    setForm({ name: "", platform: "", limit: criteria.limit });
    navigate(href("/games", { limit: criteria.limit === PAGE_SIZES[0] ? undefined : criteria.limit }));
  };

  const confirmDelete = async () => {
    const game = toDelete;
    if (!game) return;
    try {
      await request<{ id: number }>(`/api/games/${game.id}`, { method: "DELETE" });
      setToDelete(null);
      setDeleteError(null);
      announce(`Deleted “${game.name}” (id ${game.id}).`, "success");
      refreshStats();
      // The page shrank; a now-empty later page falls back to the previous one.
      if (page && page.rows.length === 1 && pages.length > 1) setPages(pages.slice(0, -1));
      else setReload((n) => n + 1);
      // Once the dialog is gone (the rest of the page is inert while it is open).
      requestAnimationFrame(() => summaryRef.current?.focus());
    } catch (failure) {
      setDeleteError(failure);
    }
  };

  const limit = Number(criteria.limit);
  const first = (pages.length - 1) * limit + 1;
  const hasCriteria = Boolean(criteria.name || criteria.platform);
  // Describe the page on screen, which is the page asked for only once it has loaded.
  const shown = page?.criteria ?? criteria;
  const described = [shown.name ? `matching “${shown.name}”` : "", shown.platform ? `on ${PLATFORM_LABELS[shown.platform]}` : ""]
    .filter(Boolean)
    .join(" ");
  const settled = !loading && page !== null && page.url === current;

  let summary = "Loading games…";
  if (settled) {
    if (page.rows.length === 0) {
      summary = hasCriteria ? `No games ${described}.` : pages.length > 1 ? "No more games." : "No games yet.";
    } else {
      const last = first + page.rows.length - 1;
      const total = page.total === null ? "" : ` of ${page.total.atLeast ? "more than " : ""}${formatNumber(page.total.count)}`;
      const noun = page.total?.count === 1 || (page.total === null && page.rows.length === 1) ? "game" : "games";
      summary = `Showing ${formatNumber(first)}–${formatNumber(last)}${total} ${noun}${described ? ` ${described}` : ""}.`;
    }
  } else if (!loading && !page && error) {
    summary = "Games could not be loaded.";
  }

  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title" tabIndex={-1}>
          Games
        </h1>
        <a class="button primary" href="#/games/new">
          New game
        </a>
      </div>

      <form class="search card" role="search" aria-label="Search games" onSubmit={submit}>
        <div class="field grow">
          <label for="search-name">Name contains</label>
          <input
            id="search-name"
            type="search"
            name="name"
            maxLength={100}
            value={form.name}
            onInput={(e) => setForm({ ...form, name: (e.currentTarget as HTMLInputElement).value })}
          />
        </div>
        <div class="field">
          <label for="search-platform">Platform</label>
          <select
            id="search-platform"
            name="platform"
            value={form.platform}
            onChange={(e) => setForm({ ...form, platform: (e.currentTarget as HTMLSelectElement).value as Criteria["platform"] })}
          >
            <option value="">All platforms</option>
            {(Object.keys(PLATFORM_LABELS) as Platform[]).map((p) => (
              <option key={p} value={p}>
                {PLATFORM_LABELS[p]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="search-limit">Per page</label>
          <select id="search-limit" name="limit" value={form.limit} onChange={(e) => setForm({ ...form, limit: (e.currentTarget as HTMLSelectElement).value })}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <button type="button" onClick={clear} disabled={!hasCriteria && !form.name && !form.platform}>
            Clear
          </button>
        </div>
      </form>

      <p class="result-summary" aria-live="polite" tabIndex={-1} ref={summaryRef} data-testid="games-summary">
        {summary}
        {settled && page.rows.length === 0 && !hasCriteria && pages.length === 1 ? (
          <>
            {" "}
            <a href="#/ingest">Run an ingestion</a> or <a href="#/games/new">add a game</a>.
          </>
        ) : null}
      </p>
      <ProblemMessage error={error} />

      {page && page.rows.length > 0 ? (
        <div class="table-wrap">
          <table class="games responsive" aria-describedby="view-title" aria-busy={loading ? "true" : undefined}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Platform</th>
                <th scope="col">Store ID</th>
                <th scope="col">Publisher</th>
                <th scope="col">Version</th>
                <th scope="col" class="num">
                  Rank
                </th>
                <th scope="col">Published</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.rows.map((game) => (
                <tr key={game.id} data-game-id={game.id}>
                  <th scope="row" data-label="Name" class="name">
                    {game.name}
                  </th>
                  <td data-label="Platform">{PLATFORM_LABELS[game.platform]}</td>
                  <td data-label="Store ID" class="mono break">
                    {game.storeId}
                  </td>
                  <td data-label="Publisher">{game.publisherName ?? game.publisherId ?? "–"}</td>
                  <td data-label="Version">{game.appVersion ?? "–"}</td>
                  <td data-label="Rank" class="num">
                    {game.rank ?? "–"}
                  </td>
                  <td data-label="Published">{game.isPublished ? "Yes" : "No"}</td>
                  <td class="row-actions">
                    <a class="button small" href={`#/games/${game.id}/edit`} aria-label={`Edit ${game.name}`}>
                      Edit
                    </a>
                    <button
                      type="button"
                      class="small danger"
                      aria-label={`Delete ${game.name}`}
                      onClick={() => {
                        setDeleteError(null);
                        setToDelete(game);
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {page && (pages.length > 1 || page.next) ? (
        <nav class="pager" aria-label="Pagination">
          <button type="button" onClick={() => setPages(pages.slice(0, 1))} disabled={pages.length === 1 || loading}>
            First page
          </button>
          <button type="button" onClick={() => setPages(pages.slice(0, -1))} disabled={pages.length === 1 || loading}>
            Previous page
          </button>
          <span class="muted">Page {pages.length}</span>
          <button type="button" class="primary" onClick={() => page.next && setPages([...pages, page.next])} disabled={!page.next || loading}>
            Next page
          </button>
        </nav>
      ) : null}

      {toDelete ? (
        <ConfirmDialog
          title="Delete this game?"
          confirmLabel="Delete game"
          busyLabel="Deleting…"
          onConfirm={confirmDelete}
          onCancel={() => {
            setToDelete(null);
            setDeleteError(null);
          }}
        >
          <p>
            “{toDelete.name}” ({PLATFORM_LABELS[toDelete.platform]}, store id <code>{toDelete.storeId}</code>) will be deleted. This cannot be undone; the next ingestion
            re-creates it only if it is in a ranking file.
          </p>
          {deleteError ? <p class="problem" role="alert">{describeProblem(deleteError)}</p> : null}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
