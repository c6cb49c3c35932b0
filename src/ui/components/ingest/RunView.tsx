import { useEffect, useRef } from "preact/hooks";
import { useApp } from "../../context";
import { formatNumber } from "../../format";
import { useApiResource } from "../../hooks/use-resource";
import type { IngestRunDetail } from "../../types";
import { ProblemMessage } from "../ProblemMessage";
import { FilesTable } from "./FilesTable";
import { RunFacts } from "./RunFacts";
import { isPending, RunStatus } from "./RunStatus";

const ACTIVE_MS = 1500;
const isActive = (run: IngestRunDetail | null) => Boolean(run && (run.inProgress || run.files.some((file) => isPending(file.status))));

/** One run and its files; refreshes while anything in it is queued or processing. */
export function RunView({ id }: { id: number }) {
  const { announce, watchRun } = useApp();
  const resource = useApiResource<IngestRunDetail>(`/api/ingest/runs/${id}`, { refreshMs: (run) => (isActive(run) ? ACTIVE_MS : null) });
  const run = resource.data;
  const active = isActive(run);

  // Followed while in progress (the header's figures are reloaded when it finishes, wherever the
  // user is then); when it finishes on this page, say how it ended.
  const followed = useRef(false);
  useEffect(() => {
    if (!run) return;
    if (active) {
      followed.current = true;
      watchRun(run.id);
    } else if (followed.current) {
      followed.current = false;
      const { done, failed, dead, gamesWritten } = run.totals;
      announce(`Run #${run.id} finished: ${done} done, ${failed} failed, ${dead} dead; ${formatNumber(gamesWritten)} games written.`, failed + dead ? "error" : "success");
    }
  }, [run, active]);

  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title" tabIndex={-1}>
          Run #{id}
        </h1>
        <a href="#/ingest">All runs</a>
      </div>
      <ProblemMessage error={resource.error} />
      {run === null ? (
        resource.error ? null : <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="card run-summary">
            <p class="run-status" data-testid="run-status" data-in-progress={String(run.inProgress)}>
              <RunStatus run={run} />
              {active ? <span class="muted small"> Refreshing automatically…</span> : null}
            </p>
            <RunFacts run={run} />
            {run.error ? (
              <p class="problem" data-testid="run-error">
                Scan error: {run.error}
              </p>
            ) : null}
          </div>
          {run.files.length === 0 ? (
            <p class="muted">This run enqueued no files: everything in the bucket had been ingested already.</p>
          ) : (
            <FilesTable files={run.files} caption={`Files of run #${run.id}`} onChanged={resource.reload} />
          )}
        </>
      )}
    </section>
  );
}
