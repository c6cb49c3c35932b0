import { call } from "../../api";
import { useApp } from "../../context";
import { formatNumber } from "../../format";
import { useAction } from "../../hooks/use-action";
import { ProblemMessage } from "../ProblemMessage";
import { ScopeNote } from "../ScopeNote";

/** "Populate now": starts a run (the cron's code path) and opens it. */
export function PopulateCard() {
  const { announce, watchRun, access } = useApp();
  const canRun = access.can("ingest:run");
  const populate = useAction(async () => {
    const { data } = await call((api, init) => api.POST("/api/games/populate", init));
    watchRun(data.runId);
    const files = data.filesEnqueued === 1 ? "1 file" : `${data.filesEnqueued} files`;
    announce(`Run #${data.runId} started: ${formatNumber(data.objectsListed)} objects listed, ${files} enqueued.`, "success", { navigateTo: `#/ingest/runs/${data.runId}` });
  });

  return (
    <section class="card populate" aria-labelledby="populate-title">
      <h2 id="populate-title">Run an ingestion now</h2>
      <p class="muted">Lists the bucket and ingests every file not ingested yet, exactly like the daily run. Needs the ingest:run scope.</p>
      <button type="button" class="primary" onClick={() => populate.run()} disabled={!canRun || populate.busy} aria-describedby={canRun ? undefined : "populate-reason"}>
        {populate.busy ? "Starting…" : "Populate now"}
      </button>
      <ScopeNote scope="ingest:run" id="populate-reason" />
      <ProblemMessage error={populate.error} />
    </section>
  );
}
