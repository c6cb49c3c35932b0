import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, describeProblem, request } from "../api";
import { useApp } from "../context";
import { formatDateTime } from "../format";
import { href, navigate } from "../router";
import { PLATFORM_LABELS, type Game, type Platform } from "../types";
import { ProblemMessage } from "./ProblemMessage";

/** The form's values: text as typed; converted to the API's types on submit. */
interface Values {
  name: string;
  platform: Platform;
  storeId: string;
  bundleId: string;
  publisherId: string;
  publisherName: string;
  appVersion: string;
  iconUrl: string;
  rank: string;
  isPublished: boolean;
}
type TextField = Exclude<keyof Values, "platform" | "isPublished">;

const EMPTY: Values = {
  name: "",
  platform: "ios",
  storeId: "",
  bundleId: "",
  publisherId: "",
  publisherName: "",
  appVersion: "",
  iconUrl: "",
  rank: "",
  isPublished: true,
};

const LABELS: Record<keyof Values, string> = {
  name: "Name",
  platform: "Platform",
  storeId: "Store ID",
  bundleId: "Bundle ID",
  publisherId: "Publisher ID",
  publisherName: "Publisher name",
  appVersion: "App version",
  iconUrl: "Icon URL",
  rank: "Rank",
  isPublished: "Published",
};

const HINTS: Partial<Record<keyof Values, string>> = {
  storeId: "iOS: the App Store id (digits). Android: the package name, e.g. com.example.game.",
  iconUrl: "An http(s) URL.",
  rank: "Chart position, 1 or more. Usually set by ingestion; leave empty for none.",
};

function toValues(game: Game): Values {
  return {
    name: game.name,
    platform: game.platform,
    storeId: game.storeId,
    bundleId: game.bundleId ?? "",
    publisherId: game.publisherId ?? "",
    publisherName: game.publisherName ?? "",
    appVersion: game.appVersion ?? "",
    iconUrl: game.iconUrl ?? "",
    rank: game.rank === null ? "" : String(game.rank),
    isPublished: game.isPublished,
  };
}

/**
 * The body of POST / PUT: every field, empty optional text as null. Values are sent as typed
 * (no client-side rules): the API validates, and its messages are shown next to the fields.
 */
function toBody(values: Values): Record<string, unknown> {
  const text = (value: string) => (value.trim() === "" ? null : value.trim());
  const rank = values.rank.trim();
  return {
    name: values.name,
    platform: values.platform,
    storeId: values.storeId.trim(),
    bundleId: text(values.bundleId),
    publisherId: text(values.publisherId),
    publisherName: text(values.publisherName),
    appVersion: text(values.appVersion),
    iconUrl: text(values.iconUrl),
    // A number when it looks like one; anything else goes as typed for the API to explain.
    rank: rank === "" ? null : /^-?\d+(\.\d+)?$/.test(rank) ? Number(rank) : rank,
    isPublished: values.isPublished,
  };
}

const fieldId = (field: string) => `game-${field}`;

export function GameForm({ id }: { id?: number }) {
  const { announce, refreshStats } = useApp();
  const editing = id !== undefined;
  const [values, setValues] = useState<Values>(EMPTY);
  const [game, setGame] = useState<Game | null>(null);
  /** The ETag of the game as loaded: the save is conditional on it, so it never overwrites a change made meanwhile. */
  const [etag, setEtag] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!editing) return;
    let live = true;
    request<Game>(`/api/games/${id}`).then(
      (res) => {
        if (!live) return;
        setGame(res.data);
        setEtag(res.headers.get("ETag"));
        setValues(toValues(res.data));
      },
      (failure) => live && setLoadError(failure),
    );
    return () => {
      live = false;
    };
  }, [id]);

  const fieldErrors = error instanceof ApiError ? error.fieldErrors() : new Map<string, string[]>();
  // A conflict is about the natural key: show it at the store id too.
  if (error instanceof ApiError && error.status === 409) fieldErrors.set("storeId", [error.problem.detail]);
  const fieldNames = new Set(Object.keys(LABELS));
  const listed = [...fieldErrors].filter(([field]) => fieldNames.has(field));
  const unplaced = error instanceof ApiError ? [...fieldErrors].filter(([field]) => !fieldNames.has(field)) : [];

  useEffect(() => {
    if (error) summaryRef.current?.focus();
  }, [error]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const res = editing
        ? await request<Game>(`/api/games/${id}`, { method: "PUT", body: toBody(values), headers: etag ? { "If-Match": etag } : {} })
        : await request<Game>("/api/games", { method: "POST", body: toBody(values) });
      setError(null);
      refreshStats();
      announce(editing ? `Saved “${res.data.name}”.` : `Created “${res.data.name}” (id ${res.data.id}).`, "success");
      // Show the game in the list: searching its name finds it whatever page it is on.
      navigate(href("/games", { name: res.data.name, platform: res.data.platform }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const text = (field: TextField, props: { required?: boolean; inputMode?: "numeric" | "url"; autoComplete?: string } = {}) => {
    const messages = fieldErrors.get(field);
    const describedBy = [HINTS[field] ? `${fieldId(field)}-hint` : "", messages ? `${fieldId(field)}-error` : ""].filter(Boolean).join(" ");
    return (
      <div class={`field${messages ? " invalid" : ""}`}>
        <label for={fieldId(field)}>
          {LABELS[field]}
          {props.required ? <span class="required"> (required)</span> : null}
        </label>
        {HINTS[field] ? (
          <p class="hint" id={`${fieldId(field)}-hint`}>
            {HINTS[field]}
          </p>
        ) : null}
        {messages ? (
          <p class="field-error" id={`${fieldId(field)}-error`} data-field={field}>
            {messages.join("; ")}
          </p>
        ) : null}
        <input
          id={fieldId(field)}
          name={field}
          type="text"
          inputMode={props.inputMode}
          autoComplete={props.autoComplete ?? "off"}
          value={values[field]}
          onInput={(e) => setValues({ ...values, [field]: (e.currentTarget as HTMLInputElement).value })}
          aria-required={props.required ? "true" : undefined}
          aria-invalid={messages ? "true" : undefined}
          aria-describedby={describedBy || undefined}
        />
      </div>
    );
  };

  if (loadError) {
    return (
      <section aria-labelledby="view-title">
        <h1 id="view-title" tabIndex={-1}>
          Edit game
        </h1>
        <ProblemMessage error={loadError} />
        <p>
          <a href="#/games">Back to the games</a>
        </p>
      </section>
    );
  }

  const platformErrors = fieldErrors.get("platform");
  return (
    <section aria-labelledby="view-title">
      <div class="view-head">
        <h1 id="view-title" tabIndex={-1}>
          {editing ? (game ? `Edit “${game.name}”` : "Edit game") : "New game"}
        </h1>
        <a href="#/games">Back to the games</a>
      </div>
      {editing && !game ? <p aria-live="polite">Loading the game…</p> : null}

      <form class="card game-form" onSubmit={submit} noValidate aria-busy={busy ? "true" : undefined}>
        {error ? (
          <div class="problem error-summary" role="alert" tabIndex={-1} ref={summaryRef} data-testid="form-errors">
            <h2>{error instanceof ApiError && error.status === 400 ? "Please correct the highlighted fields" : "The game was not saved"}</h2>
            {listed.length + unplaced.length > 0 ? (
              <ul>
                {listed.map(([field, messages]) => (
                  <li key={field}>
                    <button type="button" class="link" onClick={() => document.getElementById(fieldId(field))?.focus()}>
                      {LABELS[field as keyof Values]}: {messages.join("; ")}
                    </button>
                  </li>
                ))}
                {unplaced.map(([field, messages]) => (
                  <li key={field}>
                    {field}: {messages.join("; ")}
                  </li>
                ))}
              </ul>
            ) : (
              <p>{describeProblem(error)}</p>
            )}
          </div>
        ) : null}

        {text("name", { required: true })}
        <div class={`field${platformErrors ? " invalid" : ""}`}>
          <label for={fieldId("platform")}>
            Platform<span class="required"> (required)</span>
          </label>
          {platformErrors ? (
            <p class="field-error" id={`${fieldId("platform")}-error`} data-field="platform">
              {platformErrors.join("; ")}
            </p>
          ) : null}
          <select
            id={fieldId("platform")}
            name="platform"
            value={values.platform}
            onChange={(e) => setValues({ ...values, platform: (e.currentTarget as HTMLSelectElement).value as Platform })}
            aria-invalid={platformErrors ? "true" : undefined}
            aria-describedby={platformErrors ? `${fieldId("platform")}-error` : undefined}
          >
            {(Object.keys(PLATFORM_LABELS) as Platform[]).map((p) => (
              <option key={p} value={p}>
                {PLATFORM_LABELS[p]}
              </option>
            ))}
          </select>
        </div>
        {text("storeId", { required: true })}
        {text("bundleId")}
        {text("publisherId")}
        {text("publisherName")}
        {text("appVersion")}
        {text("iconUrl", { inputMode: "url" })}
        {text("rank", { inputMode: "numeric" })}
        <div class={`field checkbox${fieldErrors.get("isPublished") ? " invalid" : ""}`}>
          <input
            id={fieldId("isPublished")}
            name="isPublished"
            type="checkbox"
            checked={values.isPublished}
            onChange={(e) => setValues({ ...values, isPublished: (e.currentTarget as HTMLInputElement).checked })}
          />
          <label for={fieldId("isPublished")}>Published</label>
        </div>

        {game ? (
          <p class="muted small">
            Id {game.id} · created {formatDateTime(game.createdAt)} · updated {formatDateTime(game.updatedAt)}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || (editing && !game)}>
            {busy ? "Saving…" : editing ? "Save changes" : "Create game"}
          </button>
          <a class="button" href="#/games">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
