// The page's one status message ("Deleted …", "Run #3 started", "Key accepted"). A message
// belongs to the location it was shown on and goes away when the user navigates anywhere else,
// so it never describes a page the user has left. An action that navigates (create → the list,
// populate → the run) hands its message to the location it goes to.
import { useCallback, useEffect, useState } from "preact/hooks";
import type { Tone } from "../context";
import { navigate } from "../router";

export interface Announcement {
  message: string;
  tone: Tone;
  id: number;
  /** The location (`location.hash`) it belongs to; null until the navigation it came with happened. */
  hash: string | null;
}

export interface Announcer {
  announcement: Announcement | null;
  /** Shows `message` here, or — with `navigateTo` — goes there and shows it there. */
  announce(message: string, tone?: Tone, options?: { navigateTo?: string }): void;
  clear(): void;
}

/** `hash`: the current location, from the router. */
export function useAnnouncer(hash: string): Announcer {
  const [announcement, setAnnouncement] = useState<Announcement | null>(null);

  const announce = useCallback((message: string, tone: Tone = "info", options: { navigateTo?: string } = {}) => {
    const { navigateTo } = options;
    const pending = navigateTo !== undefined && navigateTo !== location.hash;
    setAnnouncement((prev) => ({ message, tone, id: (prev?.id ?? 0) + 1, hash: pending ? null : location.hash }));
    if (navigateTo !== undefined) navigate(navigateTo);
  }, []);

  useEffect(() => {
    setAnnouncement((prev) => {
      if (!prev) return prev;
      if (prev.hash === null) return { ...prev, hash };
      return prev.hash === hash ? prev : null;
    });
  }, [hash]);

  const clear = useCallback(() => setAnnouncement(null), []);
  // Decided while rendering, so the view navigated to never shows, even for a frame, the message of the one left.
  const shown = announcement && (announcement.hash === null || announcement.hash === hash) ? announcement : null;
  return { announcement: shown, announce, clear };
}
