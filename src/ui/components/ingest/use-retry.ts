import { call } from "../../api";
import { useApp } from "../../context";
import { useAction } from "../../hooks/use-action";
import { describeFailure } from "../../ingest-failures";
import type { IngestFile } from "../../types";
import { statusText } from "./RunStatus";

/**
 * POST …/retry, and a message that says what the retry can achieve: a file whose content is the
 * problem fails the same way again (it needs a new upload), one whose cause is outside it
 * succeeds only once that is fixed, a temporary failure is simply queued again.
 */
export function retryOutcome(before: IngestFile, after: IngestFile): { message: string; tone: "success" | "info" | "error" } {
  const { key } = before;
  if (after.status !== "queued") return { message: `${key} is ${statusText(after.status).toLowerCase()} already: nothing was sent.`, tone: "info" };
  const reason = describeFailure(before.lastError);
  if (reason?.remedy === "new-upload") {
    return {
      message: `A new upload is needed for ${key}: ${reason.words} The retry queued this same file again, and it will fail the same way; a corrected file uploaded to the bucket is ingested as a new version by the next run (or Populate now).`,
      tone: "error",
    };
  }
  if (reason?.remedy === "fix-first") {
    return { message: `Retry of ${key} accepted: it is queued again, and succeeds only if the cause was fixed since. ${reason.words}`, tone: "info" };
  }
  return { message: `Retry of ${key} accepted: the file is queued for ingestion again.`, tone: "success" };
}

export function useRetry(onChanged: () => void) {
  const { announce, watchRun } = useApp();
  return useAction(async (_signal, file: IngestFile) => {
    const { data } = await call((api, init) => api.POST("/api/ingest/files/{id}/retry", { ...init, params: { path: { id: file.id } } }));
    const { message, tone } = retryOutcome(file, data);
    announce(message, tone);
    watchRun(data.runId);
    onChanged();
  });
}
