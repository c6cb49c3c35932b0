import type { ComponentChildren } from "preact";
import { formatDateTime, formatNumber } from "../../format";
import { recordCounts } from "../../record-counts";
import type { IngestRunDetail } from "../../types";

/** A run's scan and its totals, with how the record counts add up. */
export function RunFacts({ run }: { run: IngestRunDetail }) {
  const { totals } = run;
  const counts = recordCounts(totals);
  const fact = (label: string, value: ComponentChildren, testId?: string) => (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
  return (
    <>
      <dl class="facts">
        {fact("Trigger", run.trigger)}
        {fact("Started", formatDateTime(run.startedAt))}
        {fact("Scan finished", formatDateTime(run.finishedAt))}
        {fact("Objects listed", formatNumber(run.objectsListed))}
        {fact("Files enqueued", formatNumber(run.filesEnqueued))}
        {fact(
          "Files done",
          `${totals.done} of ${totals.files}${totals.failed + totals.dead > 0 ? ` (${totals.failed} failed, ${totals.dead} dead)` : ""}` +
            (totals.superseded > 0 ? `; ${totals.superseded} superseded by a newer upload` : ""),
          "run-files-done",
        )}
      </dl>
      <p class="record-sum" data-testid="run-records">
        <strong>{formatNumber(counts.seen)} records seen</strong> = {formatNumber(counts.valid)} valid games + {formatNumber(counts.rejected)} rejected +{" "}
        {formatNumber(counts.repeated)} repeated within their file (a game listed again in the same file counts once).
      </p>
      <p class="record-sum" data-testid="run-written">
        <strong>{formatNumber(counts.written)} games written</strong> (new or changed); {formatNumber(counts.unchanged)} valid games changed nothing (they already had
        these values, or newer ones).
      </p>
    </>
  );
}
