import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, authEvents, describeProblem } from "../api";
import { AppContext, type Tone } from "../context";
import { useRoute } from "../router";
import { forgetKey, loadKey } from "../session";
import { GameForm } from "./GameForm";
import { GamesView } from "./GamesView";
import { Header } from "./Header";
import { IngestView } from "./IngestView";
import { KeyForm } from "./KeyForm";
import { RunView } from "./RunView";

interface Announcement {
  message: string;
  tone: Tone;
  id: number;
  at: number;
}

export function App() {
  const [apiKey, setApiKey] = useState<string | null>(loadKey);
  const [route] = useRoute();
  const [statsVersion, setStatsVersion] = useState(0);
  const [announcement, setAnnouncement] = useState<Announcement | null>(null);
  const [rejected, setRejected] = useState<string | null>(null);
  const [signInReason, setSignInReason] = useState<string | undefined>(undefined);
  const mainRef = useRef<HTMLElement>(null);
  const firstRoute = useRef(true);

  const announce = useCallback((message: string, tone: Tone = "info") => setAnnouncement((prev) => ({ message, tone, id: (prev?.id ?? 0) + 1, at: Date.now() })), []);
  const refreshStats = useCallback(() => setStatsVersion((v) => v + 1), []);
  const context = useMemo(() => ({ announce, refreshStats }), [announce, refreshStats]);

  // A 401 anywhere means the key stopped working (revoked, or mistyped in another tab).
  useEffect(() => {
    const onUnauthorized = (event: Event) => setRejected(describeProblem((event as CustomEvent<ApiError>).detail));
    authEvents.addEventListener("unauthorized", onUnauthorized);
    return () => authEvents.removeEventListener("unauthorized", onUnauthorized);
  }, []);

  // After navigation to another view, focus goes to its heading (screen readers announce it),
  // and a message from an earlier page goes away (one announced with the navigation stays).
  // A new search on the same view keeps the focus where it is.
  const viewKey = `${route.name}/${"id" in route ? route.id : ""}`;
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    setAnnouncement((prev) => (prev && Date.now() - prev.at < 2000 ? prev : null));
    requestAnimationFrame(() => document.getElementById("view-title")?.focus());
  }, [viewKey]);

  const signOut = (reason?: string) => {
    forgetKey();
    setApiKey(null);
    setRejected(null);
    setSignInReason(reason);
    setAnnouncement(null);
  };

  if (!apiKey) {
    return (
      <KeyForm
        reason={signInReason}
        onKey={(key, warning) => {
          setApiKey(key);
          setSignInReason(undefined);
          announce(warning ? `Key saved for this tab. ${warning}` : "Key accepted and kept for this tab.", warning ? "error" : "success");
        }}
      />
    );
  }

  const section = route.name === "games" || route.name === "new-game" || route.name === "edit-game" ? "games" : route.name === "ingest" || route.name === "run" ? "ingest" : "other";
  let view;
  switch (route.name) {
    case "games":
      view = <GamesView params={route.params} />;
      break;
    case "new-game":
      view = <GameForm />;
      break;
    case "edit-game":
      view = <GameForm key={route.id} id={route.id} />;
      break;
    case "ingest":
      view = <IngestView />;
      break;
    case "run":
      view = <RunView key={route.id} id={route.id} />;
      break;
    default:
      view = (
        <section>
          <h1 id="view-title" tabIndex={-1}>
            Page not found
          </h1>
          <p>
            Nothing lives at <code>{route.path}</code>. Go to the <a href="#/games">games</a> or the <a href="#/ingest">ingestion runs</a>.
          </p>
        </section>
      );
  }

  return (
    <AppContext.Provider value={context}>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        Skip to content
      </a>
      <Header apiKey={apiKey} section={section} statsVersion={statsVersion} onForget={() => signOut()} />
      {rejected ? (
        <div class="problem banner" role="alert">
          <p>{rejected}</p>
          <button type="button" onClick={() => signOut(rejected)}>
            Enter another key
          </button>
        </div>
      ) : null}
      <p class={`announcer ${announcement ? `tone-${announcement.tone}` : "empty"}`} role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement ? <span key={announcement.id}>{announcement.message}</span> : null}
      </p>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {view}
      </main>
    </AppContext.Provider>
  );
}
