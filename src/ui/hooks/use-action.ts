// A user action (a write, a populate, a retry): busy while it runs, its failure kept for the
// view to show. The same cancellation as reads (an AbortController, aborted when the view goes
// away), but a write already sent is not aborted — that would not undo it on the server —
// only its outcome is no longer applied to a view that is gone.
import { useEffect, useRef, useState } from "preact/hooks";

export interface Action<A extends unknown[]> {
  run(...args: A): Promise<void>;
  busy: boolean;
  error: unknown;
  clearError(): void;
}

export function useAction<A extends unknown[]>(perform: (signal: AbortSignal, ...args: A) => Promise<void>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const controller = useRef(new AbortController());
  useEffect(() => {
    const current = new AbortController();
    controller.current = current;
    return () => current.abort();
  }, []);

  const run = async (...args: A) => {
    const { signal } = controller.current;
    setBusy(true);
    setError(null);
    try {
      await perform(signal, ...args);
    } catch (failure) {
      if (!signal.aborted) setError(failure);
    } finally {
      if (!signal.aborted) setBusy(false);
    }
  };
  return { run, busy, error, clearError: () => setError(null) };
}
