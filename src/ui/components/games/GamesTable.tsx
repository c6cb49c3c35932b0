import { useApp } from "../../context";
import { PLATFORM_LABELS, type Game } from "../../types";

export const WRITE_REASON_ID = "games-write-reason";

interface Props {
  games: Game[];
  busy: boolean;
  onDelete(game: Game): void;
}

/** A page of games; rows become cards on a narrow screen (data-label). */
export function GamesTable({ games, busy, onDelete }: Props) {
  const { access } = useApp();
  const canWrite = access.can("games:write");
  // Without games:write, Edit and Delete are shown disabled, pointing at the reason above the table.
  const disabled = canWrite ? {} : { disabled: true, "aria-describedby": WRITE_REASON_ID, title: access.why("games:write") };
  return (
    <div class="table-wrap">
      <table class="games responsive" aria-describedby="view-title" aria-busy={busy ? "true" : undefined}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Platform</th>
            <th scope="col">Store ID</th>
            <th scope="col">Publisher</th>
            <th scope="col">Version</th>
            <th scope="col" class="num">
              Rank
            </th>
            <th scope="col">Published</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {games.map((game) => (
            <tr key={game.id} data-game-id={game.id}>
              <th scope="row" data-label="Name" class="name">
                {game.name}
              </th>
              <td data-label="Platform">{PLATFORM_LABELS[game.platform]}</td>
              <td data-label="Store ID" class="mono break">
                {game.storeId}
              </td>
              <td data-label="Publisher">{game.publisherName ?? game.publisherId ?? "–"}</td>
              <td data-label="Version">{game.appVersion ?? "–"}</td>
              <td data-label="Rank" class="num">
                {game.rank ?? "–"}
              </td>
              <td data-label="Published">{game.isPublished ? "Yes" : "No"}</td>
              <td class="row-actions">
                {canWrite ? (
                  <a class="button small" href={`#/games/${game.id}/edit`} aria-label={`Edit ${game.name}`}>
                    Edit
                  </a>
                ) : (
                  <button type="button" class="small" aria-label={`Edit ${game.name}`} {...disabled}>
                    Edit
                  </button>
                )}
                <button type="button" class="small danger" aria-label={`Delete ${game.name}`} onClick={() => onDelete(game)} {...disabled}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
