import { useState } from "preact/hooks";
import { useApp } from "../../context";
import { formatBytes } from "../../format";
import { recordCounts } from "../../record-counts";
import type { IngestFile } from "../../types";
import { ProblemMessage } from "../ProblemMessage";
import { ScopeNote } from "../ScopeNote";
import { FileDetails } from "./FileDetails";
import { RecordCells, RecordHeadings, RECORDS_LEGEND } from "./RecordCells";
import { isRetryable, StatusBadge } from "./RunStatus";
import { useRetry } from "./use-retry";

interface Props {
  files: IngestFile[];
  caption: string;
  /** Called after a retry so the owner reloads (and starts refreshing). */
  onChanged: () => void;
  showRun?: boolean;
}

/** Ledger rows with status, counts, why a file failed, and a Retry button for failed and dead files. */
export function FilesTable({ files, caption, onChanged, showRun = false }: Props) {
  const { access } = useApp();
  const retry = useRetry(onChanged);
  const [retrying, setRetrying] = useState<number | null>(null);
  const canRun = access.can("ingest:run");
  const reasonId = `retry-reason-${showRun ? "attention" : "run"}`;
  const retryable = files.some((file) => isRetryable(file.status));

  return (
    <>
      <ProblemMessage error={retry.error} />
      {retryable ? <ScopeNote scope="ingest:run" id={reasonId}>Retry is disabled:</ScopeNote> : null}
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
              <RecordHeadings />
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
                <RecordCells counts={recordCounts(file)} />
                <td data-label="Details" class="details">
                  <FileDetails file={file} />
                </td>
                <td class="row-actions">
                  {isRetryable(file.status) ? (
                    <button
                      type="button"
                      class="small"
                      onClick={() => (setRetrying(file.id), retry.run(file))}
                      disabled={!canRun || retry.busy}
                      aria-label={`Retry ${file.key}`}
                      aria-describedby={canRun ? undefined : reasonId}
                    >
                      {retry.busy && retrying === file.id ? "Retrying…" : "Retry"}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">{RECORDS_LEGEND}</p>
    </>
  );
}
