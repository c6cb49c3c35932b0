import { createContext } from "preact";
import { useContext } from "preact/hooks";

export type Tone = "info" | "success" | "error";

export interface AppContextValue {
  /** Puts a message in the page's live region (read out by screen readers). */
  announce(message: string, tone?: Tone): void;
  /** Reloads the header figures (after a write, a populate, a finished run). */
  refreshStats(): void;
}

export const AppContext = createContext<AppContextValue>({ announce: () => {}, refreshStats: () => {} });
export const useApp = () => useContext(AppContext);
