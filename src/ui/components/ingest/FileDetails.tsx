import { formatDateTime, formatNumber } from "../../format";
import { describeFailure, type Remedy } from "../../ingest-failures";
import type { IngestFile } from "../../types";
import { isPending, isRetryable } from "./RunStatus";

const REMEDY: Record<Remedy, string> = {
  "new-upload": "Needs a new upload.",
  "fix-first": "Fix the cause, then retry.",
  retry: "Can be retried.",
};

/** Why a file failed (in words, then as recorded), its rejection samples, and when it finished. */
export function FileDetails({ file }: { file: IngestFile }) {
  const reason = describeFailure(file.lastError);
  const samples = file.rejectionSamples ?? [];
  return (
    <>
      {reason ? (
        <p class="file-reason" data-testid="failure-reason" data-remedy={reason.remedy}>
          {isPending(file.status) ? "Retrying by itself after: " : null}
          {reason.words}
          {isRetryable(file.status) ? (
            <>
              {" "}
              <strong>{REMEDY[reason.remedy]}</strong> {reason.advice}
            </>
          ) : null}
        </p>
      ) : null}
      {file.lastError ? (
        <p class="file-error" data-testid="last-error">
          <span class="visually-hidden">Last error: </span>
          {file.lastError}
        </p>
      ) : null}
      {samples.length > 0 ? (
        <details>
          <summary>
            Rejection samples ({samples.length} of {formatNumber(file.recordsRejected)})
          </summary>
          <ul class="samples">
            {samples.map((sample) => (
              <li key={sample.index}>
                Record {sample.index}: {sample.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {file.finishedAt ? <span class="muted small block">Finished {formatDateTime(file.finishedAt)}</span> : null}
      {!file.lastError && samples.length === 0 && !file.finishedAt ? <span class="muted">–</span> : null}
    </>
  );
}
