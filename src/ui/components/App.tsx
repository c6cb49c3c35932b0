import { useEffect, useState } from "preact/hooks";
import { ApiError, authEvents, describeProblem } from "../api";
import { useResource } from "../hooks/use-resource";
import { probeScopes, type Scope } from "../scopes";
import { forgetKey, loadKey } from "../session";
import { KeyForm } from "./KeyForm";
import { Shell } from "./Shell";

/** Signed out: the key form. Signed in: the app, knowing what the key may do. */
export function App() {
  const [apiKey, setApiKey] = useState<string | null>(loadKey);
  /** Scopes learnt when the key was entered; after a reload they are asked again (below). */
  const [entered, setEntered] = useState<{ scopes: Scope[]; message: string; warning: boolean } | null>(null);
  const [rejected, setRejected] = useState<string | null>(null);
  const [signInReason, setSignInReason] = useState<string | undefined>(undefined);
  const probed = useResource<Scope[]>(apiKey && !entered ? "key-scopes" : null, async (signal) => ({ data: await probeScopes(signal) }));

  // A 401 while signed in means the key stopped working (revoked, or mistyped in another tab).
  useEffect(() => {
    const onUnauthorized = (event: Event) => setRejected(describeProblem((event as CustomEvent<ApiError>).detail));
    authEvents.addEventListener("unauthorized", onUnauthorized);
    return () => authEvents.removeEventListener("unauthorized", onUnauthorized);
  }, []);

  const signOut = (reason?: string) => {
    forgetKey();
    setApiKey(null);
    setEntered(null);
    setRejected(null);
    setSignInReason(reason);
  };

  if (!apiKey) {
    return (
      <KeyForm
        reason={signInReason}
        onKey={(key, scopes, warning) => {
          setApiKey(key);
          setEntered({ scopes, message: warning ? `Key saved for this tab. ${warning}` : "Key accepted and kept for this tab.", warning: Boolean(warning) });
          setSignInReason(undefined);
          setRejected(null);
        }}
      />
    );
  }
  return (
    <Shell
      apiKey={apiKey}
      scopes={entered?.scopes ?? probed.data}
      welcome={entered ? { message: entered.message, tone: entered.warning ? "error" : "success" } : null}
      rejected={rejected}
      onSignOut={signOut}
    />
  );
}
