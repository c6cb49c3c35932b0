import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { accessFor, type Access } from "./scopes";

export type Tone = "info" | "success" | "error";

export interface AppContextValue {
  /**
   * Puts a message in the page's live region (read out by screen readers). It stays until the
   * user navigates elsewhere; with `navigateTo`, the app goes there and shows it there.
   */
  announce(message: string, tone?: Tone, options?: { navigateTo?: string }): void;
  /** Reloads the header figures (after a game was written). */
  refreshStats(): void;
  /** Follows an ingestion run until it finishes, wherever the user goes; the header figures are reloaded then. */
  watchRun(runId: number): void;
  /** What the key may do. */
  access: Access;
}

export const AppContext = createContext<AppContextValue>({ announce: () => {}, refreshStats: () => {}, watchRun: () => {}, access: accessFor(null) });
export const useApp = () => useContext(AppContext);
