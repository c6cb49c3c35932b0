import { bookmarksContract } from "./bookmarks";
import { clientContract } from "./client";
import { errorsContract } from "./errors";
import { gameWritesContract } from "./game-writes";
import { gamesContract } from "./games";
import { inputContract } from "./input";
import { keysContract } from "./keys";
import { problemsContract } from "./problems";
import type { ContractTarget } from "./target";

export { ingestContract, type IngestSource } from "./ingest";
export { snsContract, type SnsSource } from "./sns";
export type { ContractTarget } from "./target";

/** Every API contract case (games, concurrent and conditional writes, search, pagination, keys, errors, auth, rate-limit headers, cache, hostile input, bookmarks, the error catalogue, the TypeScript client). */
export function apiContract(target: ContractTarget) {
  gamesContract(target);
  gameWritesContract(target);
  keysContract(target);
  errorsContract(target);
  inputContract(target);
  bookmarksContract(target);
  problemsContract(target);
  clientContract(target);
}
