import { useEffect } from "preact/hooks";
import { nextLink } from "../../api";
import { useApp } from "../../context";
import { useApiResource } from "../../hooks/use-resource";
import { href } from "../../router";
import type { IngestFile, IngestRun } from "../../types";
import { ProblemMessage } from "../ProblemMessage";
import { ScopeNote } from "../ScopeNote";
import { FilesTable } from "./FilesTable";
import { PopulateCard } from "./PopulateCard";
import { RunsTable } from "./RunsTable";

const ACTIVE_MS = 1500;
const inProgressIds = (runs: IngestRun[] | null) => (runs ?? []).filter((run) => run.inProgress).map((run) => run.id);

/** Populate, the files needing attention, and the runs (older pages by cursor, kept in the URL as `older`). */
export function IngestView({ params }: { params: URLSearchParams }) {
  const { access, watchRun } = useApp();
  const canRead = access.can("ingest:read");
  const older = params.get("older");
  const runsPath = `/api/ingest/runs?limit=20${older ? `&cursor=${encodeURIComponent(older)}` : ""}`;
  // The runs are refreshed while one is in progress. The files needing attention are loaded after
  // each answer about the runs, never before: the last list shown is at least as new as the last
  // runs answer, so a file that failed again just as its run finished is not missed.
  const runs = useApiResource<IngestRun[]>(canRead ? runsPath : null, { refreshMs: (data) => (inProgressIds(data).length ? ACTIVE_MS : null) });
  const active = inProgressIds(runs.data);
  const runsAnswered = runs.data !== null || runs.error !== null;
  const afterRuns = { refreshKey: runs.data ?? runs.error };
  const failed = useApiResource<IngestFile[]>(canRead && runsAnswered ? "/api/ingest/files?status=failed&limit=50" : null, afterRuns);
  const dead = useApiResource<IngestFile[]>(canRead && runsAnswered ? "/api/ingest/files?status=dead&limit=50" : null, afterRuns);
  useEffect(() => active.forEach(watchRun), [active.join(",")]);

  const attention = failed.data && dead.data ? [...failed.data, ...dead.data].sort((a, b) => b.id - a.id) : null;
  const attentionError = failed.error ?? dead.error;
  const reload = runs.reload;
  const next = runs.settled && runs.headers ? nextLink(runs.headers) : null;
  const olderCursor = next ? new URL(next, location.origin).searchParams.get("cursor") : null;

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
        <ScopeNote scope="ingest:read" id="attention-read-reason" />
        <ProblemMessage error={attentionError} />
        {attention === null ? (
          attentionError || !canRead ? null : <p class="muted">Loading…</p>
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
        {active.length > 0 ? (
          <p class="muted small" aria-live="polite">
            A run is in progress; this list refreshes automatically.
          </p>
        ) : null}
        <ScopeNote scope="ingest:read" id="runs-read-reason" />
        <ProblemMessage error={runs.error} />
        {runs.data === null ? (
          runs.error || !canRead ? null : <p class="muted">Loading…</p>
        ) : runs.data.length === 0 ? (
          <p class="muted">{older ? "No older runs." : "No runs yet. The daily run starts at 03:00 UTC, or press “Populate now”."}</p>
        ) : (
          <RunsTable runs={runs.data} />
        )}
        {older || olderCursor ? (
          <nav class="pager" aria-label="Runs pagination">
            {older ? (
              <a class="button" href={href("/ingest")}>
                Newest runs
              </a>
            ) : null}
            {olderCursor ? (
              <a class="button" href={href("/ingest", { older: olderCursor })}>
                Older runs
              </a>
            ) : null}
          </nav>
        ) : null}
      </section>
    </section>
  );
}
