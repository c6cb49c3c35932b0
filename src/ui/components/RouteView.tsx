import type { Route } from "../router";
import { GameForm } from "./game-form/GameForm";
import { GamesView } from "./games/GamesView";
import { IngestView } from "./ingest/IngestView";
import { RunView } from "./ingest/RunView";

export type Section = "games" | "ingest" | "other";

export function sectionOf(route: Route): Section {
  if (route.name === "games" || route.name === "new-game" || route.name === "edit-game") return "games";
  return route.name === "ingest" || route.name === "run" ? "ingest" : "other";
}

/** Which view is shown: focus moves to its heading when this changes. */
export const viewKey = (route: Route) => `${route.name}/${"id" in route ? route.id : ""}`;

export function RouteView({ route }: { route: Route }) {
  switch (route.name) {
    case "games":
      return <GamesView params={route.params} />;
    case "new-game":
      return <GameForm />;
    case "edit-game":
      return <GameForm key={route.id} id={route.id} />;
    case "ingest":
      return <IngestView params={route.params} />;
    case "run":
      return <RunView key={route.id} id={route.id} />;
    default:
      return (
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
}
