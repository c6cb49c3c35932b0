import { useEffect, useRef, useState } from "preact/hooks";
import type { GameInput } from "../../../../clients/typescript/src/index";
import { call } from "../../api";
import { useApp } from "../../context";
import { formatDateTime } from "../../format";
import { useAction } from "../../hooks/use-action";
import { useApiResource } from "../../hooks/use-resource";
import { href } from "../../router";
import type { Game } from "../../types";
import { ProblemMessage } from "../ProblemMessage";
import { ScopeNote } from "../ScopeNote";
import { ErrorSummary } from "./ErrorSummary";
import { PlatformField, PublishedField, TextField } from "./Fields";
import { formErrors } from "./form-errors";
import { EMPTY, FIELDS, INPUT_MODES, toBody, toValues, type Values } from "./game-values";

/** Create a game, or edit one (`id`). The API validates; its messages are shown at their fields. */
export function GameForm({ id }: { id?: number }) {
  const { announce, refreshStats, access } = useApp();
  const editing = id !== undefined;
  const loaded = useApiResource<Game>(editing ? `/api/games/${id}` : null);
  const game = loaded.data;
  const [values, setValues] = useState<Values>(EMPTY);
  /** The ETag of the game as loaded: the save is conditional on it, so it never overwrites a change made meanwhile. */
  const etag = loaded.headers?.get("ETag") ?? null;
  useEffect(() => void (game && setValues(toValues(game))), [game]);

  const save = useAction(async () => {
    // As typed: a value that is not yet what the API takes (an empty platform, a rank in words)
    // goes to the API, whose message is shown at the field.
    const body = toBody(values) as GameInput;
    const res = editing
      ? await call((api, init) => api.PUT("/api/games/{id}", { ...init, params: { path: { id } }, body, headers: etag ? { "If-Match": etag } : {} }))
      : await call((api, init) => api.POST("/api/games", { ...init, body }));
    refreshStats();
    // Show the game in the list: searching its name finds it whatever page it is on.
    const message = editing ? `Saved “${res.data.name}”.` : `Created “${res.data.name}” (id ${res.data.id}).`;
    announce(message, "success", { navigateTo: href("/games", { name: res.data.name, platform: res.data.platform }) });
  });
  const errors = formErrors(save.error, values);
  const summaryRef = useRef<HTMLDivElement>(null);
  useEffect(() => void (save.error && summaryRef.current?.focus()), [save.error]);
  const reload = () => (save.clearError(), loaded.reload());

  const canWrite = access.can("games:write");
  const title = editing ? (game ? `Edit “${game.name}”` : "Edit game") : "New game";
  if (loaded.error && !game) {
    return (
      <section aria-labelledby="view-title">
        <h1 id="view-title" tabIndex={-1}>
          {title}
        </h1>
        <ProblemMessage error={loaded.error} />
        <p>
          <a href="#/games">Back to the games</a>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title" tabIndex={-1}>
          {title}
        </h1>
        <a href="#/games">Back to the games</a>
      </div>
      {editing && !game ? <p aria-live="polite">Loading the game…</p> : null}
      <ScopeNote scope="games:write" id="game-write-reason">
        This form is read-only:
      </ScopeNote>

      <form class="card game-form" onSubmit={(e) => (e.preventDefault(), save.run())} noValidate aria-busy={save.busy ? "true" : undefined}>
        {save.error ? <ErrorSummary focusRef={summaryRef} error={save.error} errors={errors} onReload={editing ? reload : undefined} /> : null}
        <fieldset disabled={!canWrite} aria-describedby={canWrite ? undefined : "game-write-reason"}>
          {FIELDS.map((name) => {
            const props = { key: name, messages: errors.byField.get(name), values, onChange: setValues };
            if (name === "platform") return <PlatformField {...props} />;
            if (name === "isPublished") return <PublishedField {...props} />;
            return <TextField field={name} inputMode={INPUT_MODES[name]} {...props} />;
          })}
        </fieldset>

        {game ? (
          <p class="muted small">
            Id {game.id} · created {formatDateTime(game.createdAt)} · updated {formatDateTime(game.updatedAt)}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={!canWrite || save.busy || (editing && !game)} aria-describedby={canWrite ? undefined : "game-write-reason"}>
            {save.busy ? "Saving…" : editing ? "Save changes" : "Create game"}
          </button>
          <a class="button" href="#/games">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
