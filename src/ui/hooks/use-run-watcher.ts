// Calls `onFinished` when an ingestion run finishes, whichever view is open, so the header's
// figures follow ingestion. Two sources:
//  - the newest runs, polled every 10 s (every 2 s while one is in progress): a run started
//    anywhere (the cron, another person) is noticed, and so is one that started and finished
//    between two polls;
//  - runs this tab knows of (it started or retried them, or a view showed them in progress)
//    that are older than the newest ones, polled by id every 2 s until they finish.
// Needs the ingest:read scope; without it the header refreshes on its own 30 s timer only.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { request } from "../api";
import type { IngestRun } from "../types";
import { useApiResource, useResource } from "./use-resource";

const NEWEST = "/api/ingest/runs?limit=10";
const IDLE_MS = 10_000;
const ACTIVE_MS = 2_000;

export function useRunWatcher(enabled: boolean, onFinished: () => void): (runId: number) => void {
  const [watched, setWatched] = useState<number[]>([]);
  /** Run id → in progress, as last seen; null until the first answer (nothing has "finished" before it). */
  const known = useRef<Map<number, boolean> | null>(null);
  const notify = useRef(onFinished);
  notify.current = onFinished;

  const newest = useApiResource<IngestRun[]>(enabled ? NEWEST : null, {
    refreshMs: (runs) => (watched.length > 0 || runs?.some((run) => run.inProgress) ? ACTIVE_MS : IDLE_MS),
  });
  const newestIds = new Set((newest.data ?? []).map((run) => run.id));
  const older = newest.data ? watched.filter((id) => !newestIds.has(id)) : [];
  const olderRuns = useResource<IngestRun[]>(
    enabled && older.length > 0 ? `runs:${older.join(",")}` : null,
    async (signal) => ({ data: await Promise.all(older.map(async (id) => (await request<IngestRun>(`/api/ingest/runs/${id}`, { signal })).data)) }),
    { refreshMs: ACTIVE_MS },
  );

  const watchedNow = useRef(watched);
  watchedNow.current = watched;
  const observe = (runs: IngestRun[], isNewest: boolean) => {
    const first = known.current === null;
    const seen = (known.current ??= new Map());
    const newestBefore = Math.max(0, ...seen.keys());
    let finished = false;
    for (const run of runs) {
      const before = seen.get(run.id);
      // A run watched or seen in progress that is not any more, or a new run that already finished.
      const followed = before === true || watchedNow.current.includes(run.id);
      if (!run.inProgress && (followed || (isNewest && !first && before === undefined && run.id > newestBefore))) finished = true;
      seen.set(run.id, run.inProgress);
    }
    const done = runs.filter((run) => !run.inProgress).map((run) => run.id);
    if (watchedNow.current.some((id) => done.includes(id))) setWatched((ids) => ids.filter((id) => !done.includes(id)));
    if (finished) notify.current();
  };
  useEffect(() => void (newest.data && observe(newest.data, true)), [newest.data]);
  useEffect(() => void (olderRuns.data && observe(olderRuns.data, false)), [olderRuns.data]);

  return useCallback((runId: number) => {
    setWatched((ids) => (ids.includes(runId) ? ids : [...ids, runId]));
  }, []);
}
