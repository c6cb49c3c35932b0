import { sha256Hex } from "../digest";
import type { Game } from "../domain/game";

/**
 * The strong entity tag of a response body. One function for the read cache (which tags every
 * cached read) and for conditional writes (which compare a client's `If-Match` with the tag of
 * the game's current representation), so the two can never disagree.
 */
export async function entityTag(body: string): Promise<string> {
  return `"${(await sha256Hex(body)).slice(0, 32)}"`;
}

/** The ETag `GET /api/games/{id}` answers for `game`: its body is the game as `c.json` serializes it. */
export function gameEntityTag(game: Game): Promise<string> {
  return entityTag(JSON.stringify(game));
}

/** A parsed `If-Match`: `*`, or the strong entity tags listed (quoted, as sent). */
export type IfMatch = "*" | readonly string[];

const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * Parses `If-Match` (RFC 9110 §13.1.1). Weak tags are dropped: If-Match uses the strong
 * comparison, under which a weak tag never matches. Elements that are not entity tags match
 * nothing, so a malformed header fails the precondition instead of being ignored.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === "*") return "*";
  const tags: string[] = [];
  // An opaque tag may itself contain commas: split only on those outside quotes.
  for (const element of header.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const tag = element.trim();
    if (ENTITY_TAG.test(tag) && !tag.startsWith("W/")) tags.push(tag);
  }
  return tags;
}

/** Does the condition hold for a resource whose current strong ETag is `etag`? */
export function ifMatchHolds(condition: IfMatch, etag: string): boolean {
  return condition === "*" || condition.includes(etag);
}
