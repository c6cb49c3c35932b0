import { maskKey } from "../session";
import type { Section } from "./RouteView";
import { ServiceFigures } from "./ServiceFigures";

interface Props {
  apiKey: string;
  section: Section;
  /** Bumped after a write or a finished run: the figures are loaded again. */
  statsVersion: number;
  onForget: () => void;
}

/** Title, navigation, the key in use, and the service figures. */
export function Header({ apiKey, section, statsVersion, onForget }: Props) {
  const nav = (target: Section, hash: string, label: string) => (
    <a href={hash} aria-current={section === target ? "page" : undefined}>
      {label}
    </a>
  );

  return (
    <header class="topbar">
      <div class="topbar-row">
        <p class="brand">
          <a href="#/games">Game DB</a>
        </p>
        <nav aria-label="Main">
          {nav("games", "#/games", "Games")}
          {nav("ingest", "#/ingest", "Ingestion")}
          <a href="/docs">API docs</a>
        </nav>
        <div class="key-box">
          <span class="muted small">
            Key <code data-testid="key-prefix">{maskKey(apiKey)}</code>
          </span>
          <button type="button" class="small" onClick={onForget}>
            Forget key
          </button>
        </div>
      </div>
      <ServiceFigures statsVersion={statsVersion} />
    </header>
  );
}
