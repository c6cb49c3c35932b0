// The HTTP contract of the API, written once and run against every runtime: the Worker (through
// `SELF.fetch` in workerd, test/contract/workers-*.test.ts) and the Deno server (over real HTTP,
// test/node/deno-*.test.ts). Nothing here knows which runtime answers: cases only use the
// target's `fetch`, its origin and the bootstrap admin key (test/support/client.ts) — no
// database or KV access.
import type { ApiTarget } from "../support/client";

/** The server a contract suite runs against. */
export type ContractTarget = ApiTarget;

/** A random tag of letters, so names a case creates are found by no other case's search. */
export function uniqueTag(): string {
  const letters = "bcdfghjklmnpqrstvwxz";
  return "Q" + Array.from({ length: 7 }, () => letters[Math.floor(Math.random() * letters.length)]).join("");
}
