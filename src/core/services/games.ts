import { gamesRepository, toGame, type ExpectedColumns, type GameFilter, type GamePage } from "../data/games";
import type { GameRow, NewGameRow } from "../data/schema";
import { storeIdProblem, type Game, type GameInput, type GamePatch } from "../domain/game";
import type { Page } from "../domain/page";
import { AppError, isUniqueViolation, notFound } from "../errors";
import type { ServiceDeps } from "./deps";
import { gameEntityTag, ifMatchHolds, type IfMatch } from "./etag";

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

/** A client's precondition on a write: `If-Match` (RFC 9110 §13.1.1), when it sent one. */
export interface WriteCondition {
  ifMatch?: IfMatch | undefined;
}

/**
 * A conditional write that keeps finding the game changed gives up after this many fresh reads.
 * Only a write that races another writer retries at all, so this is never reached in practice.
 */
const MAX_ATTEMPTS = 5;

/** Everything the game's ETag covers: a write expecting these columns meets exactly that representation. */
function representation(row: GameRow): ExpectedColumns {
  const { id: _id, ...visible } = toGame(row);
  return visible;
}

async function checkIfMatch(condition: WriteCondition, row: GameRow): Promise<void> {
  if (condition.ifMatch === undefined || ifMatchHolds(condition.ifMatch, await gameEntityTag(toGame(row)))) return;
  throw new AppError(
    "precondition-failed",
    `Game ${row.id} does not match If-Match: it changed since that ETag was read. GET it again and reapply the change`,
  );
}

function storeIdError(problem: string): AppError {
  return new AppError("validation", "Invalid body.storeId", {
    errors: [{ location: "body", path: "storeId", message: problem, code: "custom" }],
  });
}

/**
 * `defer` keeps the runtime alive for the data-version write after the response: a write request
 * never waits for it (see data/data-version.ts).
 */
export function gamesService(deps: Pick<ServiceDeps, "db" | "dataVersion" | "now"> & Partial<Pick<ServiceDeps, "session" | "pageTotals">>, defer: (promise: Promise<unknown>) => void) {
  const repo = gamesRepository(deps.db);
  // The session's bookmark after the write: a cache miss at the new version reads at least that fresh.
  const changed = () => defer(deps.dataVersion.bump(deps.session?.bookmark()));

  const conflict = async (key: Pick<Writable, "platform" | "storeId">, cause?: unknown) => {
    const existing = await repo.findByNaturalKey(key.platform, key.storeId);
    return new AppError(
      "conflict",
      `A game with platform ${key.platform} and storeId ${key.storeId} already exists` +
        (existing ? ` (id ${existing.id})` : ""),
      { cause },
    );
  };

  /**
   * Sets exactly `values` if the game still holds `expected`; undefined when it is absent or
   * changed. A clash on (platform, storeId) is the client's conflict, not a 500.
   */
  const write = async (
    id: number,
    values: Partial<Writable>,
    expected: ExpectedColumns,
    naturalKey: () => Pick<Writable, "platform" | "storeId">,
  ): Promise<GameRow | undefined> => {
    try {
      return await repo.update(id, { ...values, updatedAt: deps.now().toISOString() }, expected);
    } catch (error) {
      if (isUniqueViolation(error)) throw await conflict(naturalKey(), error);
      throw error;
    }
  };

  const written = (row: GameRow): Game => {
    changed();
    return toGame(row);
  };

  /**
   * Optimistic concurrency: read the game, check what the write depends on (If-Match, the
   * platform a lone storeId must fit), then write with those facts in the UPDATE's WHERE. A
   * writer that slipped in between makes the write match nothing, and the check starts again
   * from a fresh read, so no decision is ever taken on a row that is no longer there.
   */
  const retryingOnChange = async <T>(id: number, attempt: (current: GameRow) => Promise<T | undefined>): Promise<T> => {
    for (let i = 1; ; i++) {
      const current = await repo.findById(id);
      if (!current) throw notFound("Game", id);
      const result = await attempt(current);
      if (result !== undefined) return result;
      if (i >= MAX_ATTEMPTS) {
        throw new AppError("conflict", `Game ${id} kept changing while this request tried to apply; send it again`);
      }
    }
  };

  return {
    /**
     * One page and the filter's total. `version`: the data version the read cache read before the
     * query; a total already counted at it is reused (services/page-totals.ts).
     */
    async list(filter: GameFilter, page: Page, version?: string): Promise<Omit<GamePage, "rows"> & { rows: Game[] }> {
      const known = version === undefined ? undefined : deps.pageTotals?.get(version, filter);
      const result = await repo.page(filter, page, known);
      if (version !== undefined && !known) deps.pageTotals?.set(version, filter, result.total);
      return { ...result, rows: result.rows.map(toGame) };
    },

    async get(id: number): Promise<Game> {
      const row = await repo.findById(id);
      if (!row) throw notFound("Game", id);
      return toGame(row);
    },

    async create(input: GameInput): Promise<Game> {
      const values = fromInput(input);
      const now = deps.now().toISOString();
      const row = await repo.insert({ ...values, createdAt: now, updatedAt: now });
      if (!row) throw await conflict(values);
      return written(row);
    },

    /** PUT: every writable field, as sent; with If-Match only onto the representation it names. */
    async replace(id: number, input: GameInput, condition: WriteCondition = {}): Promise<Game> {
      checkPathId(id, input.id);
      const values = fromInput(input);
      if (condition.ifMatch === undefined) {
        const row = await write(id, values, {}, () => values);
        if (!row) throw notFound("Game", id);
        return written(row);
      }
      return retryingOnChange(id, async (current) => {
        await checkIfMatch(condition, current);
        const row = await write(id, values, representation(current), () => values);
        return row && written(row);
      });
    },

    /**
     * PATCH: sets only the fields sent, so concurrent PATCHes of different fields and an
     * ingestion commit racing a PATCH all keep their changes. A read is needed only to evaluate
     * If-Match, or when platform or storeId is sent without the other (the pair must stay valid).
     */
    async patch(id: number, patch: GamePatch, condition: WriteCondition = {}): Promise<Game> {
      checkPathId(id, patch.id);
      const { id: _id, createdAt: _c, updatedAt: _u, ...sent } = patch;
      const changes = Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined)) as Partial<Writable>;
      const lonePlatform = changes.platform !== undefined && changes.storeId === undefined;
      const loneStoreId = changes.storeId !== undefined && changes.platform === undefined;

      if (condition.ifMatch === undefined && !lonePlatform && !loneStoreId) {
        // Both or neither of the pair: the schema validated them together.
        const row = await write(id, changes, {}, () => ({ platform: changes.platform!, storeId: changes.storeId! }));
        if (!row) throw notFound("Game", id);
        return written(row);
      }

      return retryingOnChange(id, async (current) => {
        await checkIfMatch(condition, current);
        const key = { platform: changes.platform ?? current.platform, storeId: changes.storeId ?? current.storeId };
        // The patch alone may be valid while the patched game is not (e.g. only platform changes).
        const problem = storeIdProblem(key.platform, key.storeId);
        if (problem) throw storeIdError(problem);
        const expected: ExpectedColumns =
          condition.ifMatch !== undefined
            ? representation(current)
            : lonePlatform
              ? { storeId: current.storeId }
              : { platform: current.platform };
        const row = await write(id, changes, expected, () => key);
        return row && written(row);
      });
    },

    async remove(id: number, condition: WriteCondition = {}): Promise<void> {
      if (condition.ifMatch === undefined) {
        if (!(await repo.delete(id))) throw notFound("Game", id);
      } else {
        await retryingOnChange(id, async (current) => {
          await checkIfMatch(condition, current);
          return (await repo.delete(id, representation(current))) || undefined;
        });
      }
      changed();
    },
  };
}
