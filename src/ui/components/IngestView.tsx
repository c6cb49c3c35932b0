import { useEffect, useRef, useState } from "preact/hooks";
import { isAbort, nextLink, request } from "../api";
import { useApp } from "../context";
import { formatDateTime, formatNumber, timeAgo } from "../format";
import { useRefreshTick } from "../polling";
import { navigate } from "../router";
import type { IngestFile, IngestRun, PopulateResult } from "../types";
import { FilesTable } from "./FilesTable";
import { ProblemMessage } from "./ProblemMessage";

export function RunStatus({ run }: { run: IngestRun }) {
  if (run.inProgress) return <span class="badge status-processing">In progress</span>;
  const { failed, dead } = run.totals;
  if (run.status === "failed") return <span class="badge status-failed">Scan failed</span>;
  if (failed + dead > 0) return <span class="badge status-failed">Done with {failed + dead} failed</span>;
  return <span class="badge status-done">Done</span>;
}

/** "Populate now": starts a run (the cron's code path) and opens it. */
function PopulateCard() {
  const { announce, refreshStats } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const populate = async () => {
    setBusy(true);
    setError(null);
    try {
      const { data } = await request<PopulateResult>("/api/games/populate", { method: "POST" });
      const files = data.filesEnqueued === 1 ? "1 file" : `${data.filesEnqueued} files`;
      announce(`Run #${data.runId} started: ${formatNumber(data.objectsListed)} objects listed, ${files} enqueued.`, "success");
      refreshStats();
      navigate(`#/ingest/runs/${data.runId}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card populate" aria-labelledby="populate-title">
      <h2 id="populate-title">Run an ingestion now</h2>
      <p class="muted">Lists the bucket and ingests every file not ingested yet, exactly like the daily run. Needs the ingest:run scope.</p>
      <button type="button" class="primary" onClick={populate} disabled={busy}>
        {busy ? "Starting…" : "Populate now"}
      </button>
      <ProblemMessage error={error} />
    </section>
  );
}

export function IngestView() {
  const { refreshStats } = useApp();
  const [runs, setRuns] = useState<IngestRun[] | null>(null);
  const [runPages, setRunPages] = useState<string[]>(["/api/ingest/runs?limit=20"]);
  const [olderRuns, setOlderRuns] = useState<string | null>(null);
  const [attention, setAttention] = useState<IngestFile[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attentionError, setAttentionError] = useState<unknown>(null);
  const active = Boolean(runs?.some((run) => run.inProgress));
  const [tick, reload] = useRefreshTick(active);
  const current = runPages[runPages.length - 1]!;
  const wasActive = useRef(false);
  useEffect(() => {
    // A run finished while this page was open: the header figures changed.
    if (wasActive.current && !active) refreshStats();
    wasActive.current = active;
  }, [active]);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    request<IngestRun[]>(current, { signal }).then(
      (res) => {
        setRuns(res.data);
        setOlderRuns(nextLink(res.headers));
        setError(null);
      },
      (failure) => isAbort(failure) || setError(failure),
    );
    Promise.all(
      (["failed", "dead"] as const).map((status) => request<IngestFile[]>(`/api/ingest/files?status=${status}&limit=50`, { signal })),
    ).then(
      ([failed, dead]) => {
        setAttention([...failed!.data, ...dead!.data].sort((a, b) => b.id - a.id));
        setAttentionError(null);
      },
      (failure) => isAbort(failure) || setAttentionError(failure),
    );
    return () => controller.abort();
  }, [current, tick]);

  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title" tabIndex={-1}>
          Ingestion
        </h1>
      </div>
      <PopulateCard />

      <section aria-labelledby="attention-title">
        <h2 id="attention-title">Files needing attention</h2>
        <ProblemMessage error={attentionError} />
        {attention === null ? (
          attentionError ? null : <p class="muted">Loading…</p>
        ) : attention.length === 0 ? (
          <p class="muted" data-testid="no-attention">
            No failed or dead files.
          </p>
        ) : (
          <FilesTable files={attention} caption="Failed and dead files, newest first" onChanged={reload} showRun />
        )}
      </section>

      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        {active ? (
          <p class="muted small" aria-live="polite">
            A run is in progress; this list refreshes automatically.
          </p>
        ) : null}
        <ProblemMessage error={error} />
        {runs === null ? (
          error ? null : <p class="muted">Loading…</p>
        ) : runs.length === 0 ? (
          <p class="muted">No runs yet. The daily run starts at 03:00 UTC, or press “Populate now”.</p>
        ) : (
          <div class="table-wrap">
            <table class="runs responsive">
              <caption class="visually-hidden">Ingestion runs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Started</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Files
                  </th>
                  <th scope="col" class="num">
                    Records seen
                  </th>
                  <th scope="col" class="num">
                    Rejected
                  </th>
                  <th scope="col" class="num">
                    Games written
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.id} data-run-id={run.id}>
                    <th scope="row" data-label="Run">
                      <a href={`#/ingest/runs/${run.id}`}>Run #{run.id}</a> <span class="muted small">({run.trigger})</span>
                    </th>
                    <td data-label="Started">
                      <time dateTime={run.startedAt} title={formatDateTime(run.startedAt)}>
                        {timeAgo(run.startedAt)}
                      </time>
                    </td>
                    <td data-label="Status">
                      <RunStatus run={run} />
                    </td>
                    <td data-label="Files" class="num">
                      {run.totals.done}/{run.totals.files} done
                    </td>
                    <td data-label="Records seen" class="num">
                      {formatNumber(run.totals.recordsSeen)}
                    </td>
                    <td data-label="Rejected" class="num">
                      {formatNumber(run.totals.recordsRejected)}
                    </td>
                    <td data-label="Games written" class="num">
                      {formatNumber(run.totals.gamesWritten)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {runPages.length > 1 || olderRuns ? (
          <nav class="pager" aria-label="Runs pagination">
            <button type="button" onClick={() => setRunPages(runPages.slice(0, 1))} disabled={runPages.length === 1}>
              Newest runs
            </button>
            <button type="button" onClick={() => olderRuns && setRunPages([...runPages, olderRuns])} disabled={!olderRuns}>
              Older runs
            </button>
          </nav>
        ) : null}
      </section>
    </section>
  );
}
