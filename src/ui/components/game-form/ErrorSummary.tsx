import type { Ref } from "preact";
import { ApiError, describeProblem } from "../../api";
import { fieldId, LABELS } from "./game-values";
import type { FormErrors } from "./form-errors";

interface Props {
  error: unknown;
  errors: FormErrors;
  /** Offered after a 412: loads the game as it is now (the edits are dropped). */
  onReload?: (() => void) | undefined;
}

/** Why the game was not saved: each field's messages in the form's order, each a link to its field. */
export function ErrorSummary({ error, errors, onReload, focusRef }: Props & { focusRef?: Ref<HTMLDivElement> }) {
  const status = error instanceof ApiError ? error.status : null;
  const listed = [...errors.byField];
  return (
    <div class="problem error-summary" role="alert" tabIndex={-1} ref={focusRef} data-testid="form-errors">
      <h2>{status === 400 ? "Please correct the highlighted fields" : "The game was not saved"}</h2>
      {listed.length + errors.other.length > 0 ? (
        <ul>
          {listed.map(([field, messages]) => (
            <li key={field}>
              <button type="button" class="link" onClick={() => document.getElementById(fieldId(field))?.focus()}>
                {LABELS[field]}: {messages.join("; ")}
              </button>
            </li>
          ))}
          {errors.other.map(([field, messages]) => (
            <li key={field}>
              {field}: {messages.join("; ")}
            </li>
          ))}
        </ul>
      ) : (
        <p>{describeProblem(error)}</p>
      )}
      {errors.existingId !== null ? (
        <p>
          <a href={`#/games/${errors.existingId}/edit`} data-testid="existing-game">
            Open the existing game (id {errors.existingId})
          </a>
        </p>
      ) : null}
      {status === 412 && onReload ? (
        <p>
          <button type="button" onClick={onReload}>
            Load the current values
          </button>
        </p>
      ) : null}
    </div>
  );
}
