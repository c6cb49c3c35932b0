import { useEffect, useRef, useState } from "preact/hooks";
import { isAbort, request } from "../api";
import { useApp } from "../context";
import { formatDateTime, formatNumber } from "../format";
import { useRefreshTick } from "../polling";
import type { IngestRunDetail } from "../types";
import { FilesTable, isPending } from "./FilesTable";
import { ProblemMessage } from "./ProblemMessage";
import { RunStatus } from "./IngestView";

/** One run and its files; refreshes while anything in it is queued or processing. */
export function RunView({ id }: { id: number }) {
  const { announce, refreshStats } = useApp();
  const [run, setRun] = useState<IngestRunDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const active = Boolean(run && (run.inProgress || run.files.some(isPending)));
  const [tick, reload] = useRefreshTick(active);
  const wasActive = useRef(false);

  useEffect(() => {
    const controller = new AbortController();
    request<IngestRunDetail>(`/api/ingest/runs/${id}`, { signal: controller.signal }).then(
      (res) => {
        setRun(res.data);
        setError(null);
      },
      (failure) => isAbort(failure) || setError(failure),
    );
    return () => controller.abort();
  }, [id, tick]);

  // When the run settles, refresh the header figures (games were written) and, if it was
  // followed while in progress, say how it ended.
  const settled = useRef(false);
  useEffect(() => {
    if (!run) return;
    if (active) {
      wasActive.current = true;
      settled.current = false;
      return;
    }
    if (settled.current) return;
    settled.current = true;
    refreshStats();
    if (wasActive.current) {
      wasActive.current = false;
      const { done, failed, dead } = run.totals;
      announce(`Run #${run.id} finished: ${done} done, ${failed} failed, ${dead} dead; ${formatNumber(run.totals.gamesWritten)} games written.`, failed + dead ? "error" : "success");
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
      <ProblemMessage error={error} />
      {run === null ? (
        error ? null : <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="card run-summary">
            <p class="run-status" data-testid="run-status" data-in-progress={String(run.inProgress)}>
              <RunStatus run={run} />
              {active ? <span class="muted small"> Refreshing automatically…</span> : null}
            </p>
            <dl class="facts">
              <div>
                <dt>Trigger</dt>
                <dd>{run.trigger}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{formatDateTime(run.startedAt)}</dd>
              </div>
              <div>
                <dt>Scan finished</dt>
                <dd>{formatDateTime(run.finishedAt)}</dd>
              </div>
              <div>
                <dt>Objects listed</dt>
                <dd>{formatNumber(run.objectsListed)}</dd>
              </div>
              <div>
                <dt>Files enqueued</dt>
                <dd>{formatNumber(run.filesEnqueued)}</dd>
              </div>
              <div>
                <dt>Files done</dt>
                <dd data-testid="run-files-done">
                  {run.totals.done} of {run.totals.files}
                  {run.totals.failed + run.totals.dead > 0 ? ` (${run.totals.failed} failed, ${run.totals.dead} dead)` : ""}
                </dd>
              </div>
              <div>
                <dt>Records seen</dt>
                <dd>{formatNumber(run.totals.recordsSeen)}</dd>
              </div>
              <div>
                <dt>Valid / rejected</dt>
                <dd>
                  {formatNumber(run.totals.recordsUpserted)} / {formatNumber(run.totals.recordsRejected)}
                </dd>
              </div>
              <div>
                <dt>Games written</dt>
                <dd>{formatNumber(run.totals.gamesWritten)}</dd>
              </div>
            </dl>
            {run.error ? (
              <p class="problem" data-testid="run-error">
                Scan error: {run.error}
              </p>
            ) : null}
          </div>
          {run.files.length === 0 ? (
            <p class="muted">This run enqueued no files: everything in the bucket had been ingested already.</p>
          ) : (
            <FilesTable files={run.files} caption={`Files of run #${run.id}`} onChanged={reload} />
          )}
        </>
      )}
    </section>
  );
}
