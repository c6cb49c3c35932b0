import { call } from "../../api";
import { useApp } from "../../context";
import { useAction } from "../../hooks/use-action";
import { PLATFORM_LABELS, type Game } from "../../types";
import { ConfirmDialog } from "../ConfirmDialog";
import { ProblemMessage } from "../ProblemMessage";

interface Props {
  game: Game;
  /** After the API deleted it; the owner says so and shows what is left. */
  onDeleted(game: Game): void;
  onCancel(): void;
}

/**
 * Confirms and deletes a game. What it says about ingestion follows README "How ingestion works":
 * the ledger ingests each file version (S3 key + ETag) once, so a deleted game comes back only
 * through a file version ingested after the delete — never from a file already ingested.
 */
export function DeleteGameDialog({ game, onDeleted, onCancel }: Props) {
  const { refreshStats } = useApp();
  const remove = useAction(async () => {
    await call((api, init) => api.DELETE("/api/games/{id}", { ...init, params: { path: { id: game.id } } }));
    refreshStats();
    onDeleted(game);
  });
  const platform = PLATFORM_LABELS[game.platform];

  return (
    <ConfirmDialog title="Delete this game?" confirmLabel="Delete game" busyLabel="Deleting…" onConfirm={() => remove.run()} onCancel={onCancel}>
      <p>
        “{game.name}” ({platform}, store id <code>{game.storeId}</code>) will be deleted. This cannot be undone.
      </p>
      <p data-testid="recreate-note">
        Ingestion re-creates it, under a new id, only if a file listing {platform} store id <code>{game.storeId}</code> is ingested from now on: a new or changed
        file uploaded to the bucket, or a file not ingested yet (queued, or failed and then retried). Files already ingested are never read again, so an
        unchanged ranking file does not bring it back.
      </p>
      <ProblemMessage error={remove.error} />
    </ConfirmDialog>
  );
}
