import { useState } from "preact/hooks";
import { ApiError, describeProblem, request } from "../api";
import { forgetKey, saveKey } from "../session";
import type { Stats } from "../types";

/**
 * Asks for the API key once per tab. The key is checked against /api/stats before it is kept:
 * a 401 keeps the form open with the API's reason; a 403 (no games:read) still keeps the key,
 * since it may be an ingestion-only key.
 */
export function KeyForm({ onKey, reason }: { onKey: (key: string, warning?: string) => void; reason?: string | undefined }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const key = value.trim();
    if (!key) {
      setError("Enter an API key.");
      return;
    }
    setBusy(true);
    setError(null);
    saveKey(key);
    try {
      await request<Stats>("/api/stats");
      onKey(key);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) {
        onKey(key, describeProblem(failure));
      } else {
        forgetKey();
        setError(describeProblem(failure));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="key-screen">
      <h1>Game DB</h1>
      <form class="card key-form" onSubmit={submit} noValidate aria-describedby="key-help">
        <h2>Sign in with an API key</h2>
        {reason ? (
          <p class="problem" role="alert">
            {reason}
          </p>
        ) : null}
        <p id="key-help" class="muted">
          The key is kept in this browser tab only (session storage) and sent as an <code>Authorization</code> header. Closing the tab forgets it.
        </p>
        <div class={`field${error ? " invalid" : ""}`}>
          <label for="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? "api-key-error" : undefined}
            required
            autoFocus
          />
          {error ? (
            <p id="api-key-error" class="field-error" role="alert">
              {error}
            </p>
          ) : null}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Checking…" : "Use this key"}
        </button>
      </form>
      <p class="muted small center">
        API documentation: <a href="/docs">/docs</a>
      </p>
    </main>
  );
}
