import type { FileStatus, IngestRun } from "../../types";

const STATUS_TEXT: Record<FileStatus, string> = {
  queued: "Queued",
  processing: "Processing",
  done: "Done",
  failed: "Failed",
  dead: "Dead",
  superseded: "Superseded",
};

export const isRetryable = (status: FileStatus) => status === "failed" || status === "dead";
export const isPending = (status: FileStatus) => status === "queued" || status === "processing";
export const statusText = (status: FileStatus) => STATUS_TEXT[status];

/** A run's outcome: in progress, its scan failed, done with failed files, or done. */
export function RunStatus({ run }: { run: IngestRun }) {
  if (run.inProgress) return <span class="badge status-processing">In progress</span>;
  const { failed, dead } = run.totals;
  if (run.status === "failed") return <span class="badge status-failed">Scan failed</span>;
  if (failed + dead > 0) return <span class="badge status-failed">Done with {failed + dead} failed</span>;
  return <span class="badge status-done">Done</span>;
}

export function StatusBadge({ status }: { status: FileStatus }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {STATUS_TEXT[status]}
    </span>
  );
}
