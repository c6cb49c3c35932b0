import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { AppContext, type Tone } from "../context";
import { useAnnouncer } from "../hooks/use-announcer";
import { useRunWatcher } from "../hooks/use-run-watcher";
import { useRoute } from "../router";
import { accessFor, type Scope } from "../scopes";
import { Header } from "./Header";
import { RouteView, sectionOf, viewKey } from "./RouteView";

interface Props {
  apiKey: string;
  /** Null while unknown: every action is offered and the API decides. */
  scopes: Scope[] | null;
  /** Said once, when the key was just entered. */
  welcome: { message: string; tone: Tone } | null;
  /** Why the key stopped working, when it did. */
  rejected: string | null;
  onSignOut(reason?: string): void;
}

/** The signed-in app: header, status messages, the current view. */
export function Shell({ apiKey, scopes, welcome, rejected, onSignOut }: Props) {
  const [route, hash] = useRoute();
  const { announcement, announce } = useAnnouncer(hash);
  const [statsVersion, setStatsVersion] = useState(0);
  const refreshStats = useCallback(() => setStatsVersion((v) => v + 1), []);
  const access = useMemo(() => accessFor(scopes), [scopes]);
  const watchRun = useRunWatcher(access.can("ingest:read"), refreshStats);
  const context = useMemo(() => ({ announce, refreshStats, watchRun, access }), [announce, refreshStats, watchRun, access]);
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    if (welcome) announce(welcome.message, welcome.tone);
  }, []);

  // After navigation to another view, focus goes to its heading (screen readers announce it).
  // A new search or page of the same view keeps the focus where it is.
  const view = viewKey(route);
  const firstView = useRef(true);
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false;
      return;
    }
    requestAnimationFrame(() => document.getElementById("view-title")?.focus());
  }, [view]);

  return (
    <AppContext.Provider value={context}>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        Skip to content
      </a>
      <Header apiKey={apiKey} section={sectionOf(route)} statsVersion={statsVersion} onForget={() => onSignOut()} />
      {rejected ? (
        <div class="problem banner" role="alert">
          <p>{rejected}</p>
          <button type="button" onClick={() => onSignOut(rejected)}>
            Enter another key
          </button>
        </div>
      ) : null}
      <p class={`announcer ${announcement ? `tone-${announcement.tone}` : "empty"}`} role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement ? <span key={announcement.id}>{announcement.message}</span> : null}
      </p>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <RouteView route={route} />
      </main>
    </AppContext.Provider>
  );
}
