import { AppError, isUniqueViolation, notFound } from "../errors";
import type { GameRow, NewGameRow } from "../db/schema";
import type { AppDeps } from "../http/env";
import type { Page } from "../http/pagination";
import { storeIdProblem } from "../db/store-id";
import { toGame, type Game, type GameInput, type GamePatch } from "../http/schemas/game";
import { gamesRepository, type GameFilter, type GamePage } from "../repositories/games";

type Writable = Omit<NewGameRow, "id" | "createdAt" | "updatedAt">;

/** A whole game from PUT/POST input: absent optional fields are cleared, not kept. */
function fromInput(input: GameInput): Writable {
  return {
    name: input.name,
    platform: input.platform,
    storeId: input.storeId,
    publisherId: input.publisherId ?? null,
    publisherName: input.publisherName ?? null,
    bundleId: input.bundleId ?? null,
    appVersion: input.appVersion ?? null,
    isPublished: input.isPublished ?? false,
    iconUrl: input.iconUrl ?? null,
    rank: input.rank ?? null,
  };
}

function checkPathId(pathId: number, bodyId: number | undefined) {
  if (bodyId !== undefined && bodyId !== pathId) {
    throw new AppError("validation", "Invalid body.id", {
      errors: [{ location: "body", path: "id", message: `must equal the id in the path (${pathId})`, code: "id_mismatch" }],
    });
  }
}

/**
 * `defer` keeps the runtime alive for the data-version write after the response: a write request
 * never waits for it (see services/data-version.ts).
 */
export function gamesService(deps: Pick<AppDeps, "db" | "dataVersion">, defer: (promise: Promise<unknown>) => void) {
  const repo = gamesRepository(deps.db);
  const changed = () => defer(deps.dataVersion.bump());

  const conflict = async (values: Writable, cause?: unknown) => {
    const existing = await repo.findByNaturalKey(values.platform, values.storeId);
    return new AppError(
      "conflict",
      `A game with platform ${values.platform} and storeId ${values.storeId} already exists` +
        (existing ? ` (id ${existing.id})` : ""),
      { cause },
    );
  };

  /** Runs an update; a clash on (platform, storeId) is the client's conflict, not a 500. */
  const update = async (id: number, values: Writable): Promise<Game> => {
    let row: GameRow | undefined;
    try {
      row = await repo.update(id, { ...values, updatedAt: new Date().toISOString() });
    } catch (error) {
      if (isUniqueViolation(error)) throw await conflict(values, error);
      throw error;
    }
    if (!row) throw notFound("Game", id);
    changed();
    return toGame(row);
  };

  return {
    async list(filter: GameFilter, page: Page): Promise<Omit<GamePage, "rows"> & { rows: Game[] }> {
      const result = await repo.page(filter, page);
      return { ...result, rows: result.rows.map(toGame) };
    },

    async get(id: number): Promise<Game> {
      const row = await repo.findById(id);
      if (!row) throw notFound("Game", id);
      return toGame(row);
    },

    async create(input: GameInput): Promise<Game> {
      const values = fromInput(input);
      const now = new Date().toISOString();
      const row = await repo.insert({ ...values, createdAt: now, updatedAt: now });
      if (!row) throw await conflict(values);
      changed();
      return toGame(row);
    },

    async replace(id: number, input: GameInput): Promise<Game> {
      checkPathId(id, input.id);
      return update(id, fromInput(input));
    },

    async patch(id: number, patch: GamePatch): Promise<Game> {
      checkPathId(id, patch.id);
      const current = await repo.findById(id);
      if (!current) throw notFound("Game", id);
      const { id: _id, createdAt: _c, updatedAt: _u, ...changes } = patch;
      const { id: _rowId, createdAt: _rowCreated, updatedAt: _rowUpdated, sourceKey: _source, ...stored } = current;
      const merged: Writable = { ...stored, ...changes };
      // The patch alone may be valid while the merged game is not (e.g. only platform changes).
      const problem = storeIdProblem(merged.platform, merged.storeId);
      if (problem) {
        throw new AppError("validation", "Invalid body.storeId", {
          errors: [{ location: "body", path: "storeId", message: problem, code: "custom" }],
        });
      }
      return update(id, merged);
    },

    async remove(id: number): Promise<void> {
      if (!(await repo.delete(id))) throw notFound("Game", id);
      changed();
    },
  };
}
