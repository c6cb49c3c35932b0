import { useEffect, useState } from "preact/hooks";

/**
 * A counter that advances every `intervalMs` while `active`: views reload when it changes, so
 * a run in progress is followed without the user pressing anything. Stops when the view goes
 * away or nothing is in progress any more.
 */
export function useRefreshTick(active: boolean, intervalMs = 1500): [number, () => void] {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => setTick((t) => t + 1), intervalMs);
    return () => clearTimeout(timer);
  }, [active, tick, intervalMs]);
  return [tick, () => setTick((t) => t + 1)];
}
