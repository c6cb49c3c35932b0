import { useState } from "preact/hooks";
import { describeProblem } from "../api";
import { useAction } from "../hooks/use-action";
import { accessFor, probeScopes, type Scope } from "../scopes";
import { forgetKey, saveKey } from "../session";

interface Props {
  /** `warning`: the key works but cannot read games (an ingestion-only key, say). */
  onKey: (key: string, scopes: Scope[], warning?: string) => void;
  reason?: string | undefined;
}

/**
 * Asks for the API key once per tab. The key is checked (and its scopes learnt, src/ui/scopes.ts)
 * before it is kept: a 401 keeps the form open with the API's reason.
 */
export function KeyForm({ onKey, reason }: Props) {
  const [value, setValue] = useState("");
  const [empty, setEmpty] = useState(false);
  const check = useAction(async (_signal, key: string) => {
    saveKey(key);
    try {
      const scopes = await probeScopes();
      const access = accessFor(scopes);
      onKey(key, scopes, access.can("games:read") ? undefined : access.why("games:read"));
    } catch (failure) {
      forgetKey();
      throw failure;
    }
  });
  const error = empty ? "Enter an API key." : check.error ? describeProblem(check.error) : null;

  const submit = (event: Event) => {
    event.preventDefault();
    const key = value.trim();
    setEmpty(!key);
    if (key) void check.run(key);
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
        <button type="submit" class="primary" disabled={check.busy}>
          {check.busy ? "Checking…" : "Use this key"}
        </button>
      </form>
      <p class="muted small center">
        API documentation: <a href="/docs">/docs</a>
      </p>
    </main>
  );
}
