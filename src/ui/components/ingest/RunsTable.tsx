import { formatDateTime, timeAgo } from "../../format";
import { recordCounts } from "../../record-counts";
import type { IngestRun } from "../../types";
import { RecordCells, RecordHeadings, RECORDS_LEGEND } from "./RecordCells";
import { RunStatus } from "./RunStatus";

/** Runs, newest first, with their totals. */
export function RunsTable({ runs }: { runs: IngestRun[] }) {
  return (
    <>
    <div class="table-wrap">
      <table class="runs responsive" aria-describedby="runs-legend">
        <caption class="visually-hidden">Ingestion runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Files
            </th>
            <RecordHeadings />
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
              <RecordCells counts={recordCounts(run.totals)} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    <p class="muted small" id="runs-legend">
      {RECORDS_LEGEND}
    </p>
    </>
  );
}
