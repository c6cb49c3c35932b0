import { ApiError, describeProblem } from "../api";

/** An error from the API (or the network), shown as an alert with the request id for support. */
export function ProblemMessage({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const requestId = error instanceof ApiError ? error.problem.requestId : undefined;
  const status = error instanceof ApiError && error.status ? error.status : undefined;
  return (
    <div class="problem" role="alert" id={id} data-status={status}>
      <p>{describeProblem(error)}</p>
      {requestId ? <p class="muted small">Request id: <code>{requestId}</code></p> : null}
    </div>
  );
}
