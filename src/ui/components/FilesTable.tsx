import { useState } from "preact/hooks";
import { request } from "../api";
import { useApp } from "../context";
import { formatBytes, formatDateTime, formatNumber } from "../format";
import type { FileStatus, IngestFile } from "../types";
import { ProblemMessage } from "./ProblemMessage";

const STATUS_TEXT: Record<FileStatus, string> = {
  queued: "Queued",
  processing: "Processing",
  done: "Done",
  failed: "Failed",
  dead: "Dead",
};

export const isRetryable = (file: IngestFile) => file.status === "failed" || file.status === "dead";
export const isPending = (file: IngestFile) => file.status === "queued" || file.status === "processing";

export function StatusBadge({ status }: { status: FileStatus }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {STATUS_TEXT[status]}
    </span>
  );
}

interface Props {
  files: IngestFile[];
  caption: string;
  /** Called after a retry so the owner reloads (and starts refreshing). */
  onChanged: () => void;
  showRun?: boolean;
}

/** Ledger rows with status, counts, rejection samples, the last error and a Retry button. */
export function FilesTable({ files, caption, onChanged, showRun = false }: Props) {
  const { announce } = useApp();
  const [retrying, setRetrying] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  const retry = async (file: IngestFile) => {
    setRetrying(file.id);
    setError(null);
    try {
      await request<IngestFile>(`/api/ingest/files/${file.id}/retry`, { method: "POST" });
      announce(`Retry of ${file.key} accepted: the file is queued for ingestion again.`, "success");
      onChanged();
    } catch (failure) {
      setError(failure);
    } finally {
      setRetrying(null);
    }
  };

  return (
    <>
      <ProblemMessage error={error} />
      <div class="table-wrap">
        <table class="files responsive">
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Attempts
              </th>
              <th scope="col" class="num">
                Records seen
              </th>
              <th scope="col" class="num">
                Valid games
              </th>
              <th scope="col" class="num">
                Rejected
              </th>
              <th scope="col" class="num">
                Games written
              </th>
              <th scope="col">Details</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {files.map((file) => (
              <tr key={file.id} data-file-id={file.id} data-file-key={file.key} data-status={file.status}>
                <th scope="row" data-label="File" class="mono break">
                  {file.key}
                  <span class="muted small block">
                    #{file.id} · {formatBytes(file.size)}
                    {showRun ? (
                      <>
                        {" "}
                        · <a href={`#/ingest/runs/${file.runId}`}>run #{file.runId}</a>
                      </>
                    ) : null}
                  </span>
                </th>
                <td data-label="Status">
                  <StatusBadge status={file.status} />
                </td>
                <td data-label="Attempts" class="num" data-testid="attempts">
                  {file.attempts}
                </td>
                <td data-label="Records seen" class="num">
                  {formatNumber(file.recordsSeen)}
                </td>
                <td data-label="Valid games" class="num">
                  {formatNumber(file.recordsUpserted)}
                </td>
                <td data-label="Rejected" class="num">
                  {formatNumber(file.recordsRejected)}
                </td>
                <td data-label="Games written" class="num">
                  {formatNumber(file.gamesWritten)}
                </td>
                <td data-label="Details" class="details">
                  {file.lastError ? (
                    <p class="file-error" data-testid="last-error">
                      <span class="visually-hidden">Last error: </span>
                      {file.lastError}
                    </p>
                  ) : null}
                  {file.rejectionSamples && file.rejectionSamples.length > 0 ? (
                    <details>
                      <summary>
                        Rejection samples ({file.rejectionSamples.length} of {formatNumber(file.recordsRejected)})
                      </summary>
                      <ul class="samples">
                        {file.rejectionSamples.map((sample) => (
                          <li key={sample.index}>
                            Record {sample.index}: {sample.reason}
                          </li>
                        ))}
                      </ul>
                    </details>
                  ) : null}
                  {file.finishedAt ? <span class="muted small block">Finished {formatDateTime(file.finishedAt)}</span> : null}
                  {!file.lastError && !file.rejectionSamples?.length && !file.finishedAt ? <span class="muted">–</span> : null}
                </td>
                <td class="row-actions">
                  {isRetryable(file) ? (
                    <button type="button" class="small" onClick={() => retry(file)} disabled={retrying !== null} aria-label={`Retry ${file.key}`}>
                      {retrying === file.id ? "Retrying…" : "Retry"}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
