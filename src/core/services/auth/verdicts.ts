import type { Scope } from "../../domain/scopes";

/**
 * What the authenticator knows about a key and how long each copy of that knowledge lives.
 *
 * A key's state is cached at two levels so that a request does not cost a D1 query: this
 * isolate's memory, and KV (shared by the isolates of a location, propagated to the others).
 * Two KV entries per key, read together in one `getMany`:
 * - `auth:<sha256>` — a positive verdict. Written only right after D1 confirmed the key is not
 *   revoked (a lookup, or the last-used UPDATE … WHERE revoked_at IS NULL … RETURNING);
 * - `auth-revoked:<sha256>` — the tombstone, written by a revocation. It always wins over the
 *   positive verdict, so a positive verdict written late (by an isolate whose D1 read preceded
 *   the revocation) cannot bring the key back, and nothing ever writes to the tombstone's key
 *   except a revocation.
 */

/** A usable key, as cached. */
export interface KnownKey {
  id: number;
  name: string;
  scopes: Scope[];
  lastUsedAt: string | null;
}

/** A revoked key; `keyId` is null only for a tombstone written before tombstones named the key. */
export interface RevokedKey {
  revoked: true;
  keyId: number | null;
}

/** A cached verdict: usable, revoked, or `unknown` (no such key; memory only, never shared). */
export type Verdict = KnownKey | RevokedKey | "unknown";

/** The value of a tombstone. */
export interface Tombstone {
  keyId: number;
  revokedAt: string;
}

export const verdictKey = (hash: string) => `auth:${hash}`;
export const tombstoneKey = (hash: string) => `auth-revoked:${hash}`;

/** How long an isolate trusts a verdict in its memory before reading KV again. */
export const MEMORY_TTL_MS = 30_000;
/** How long a positive verdict stays in KV. */
export const VERDICT_TTL_SECONDS = 300;
/**
 * How long a tombstone stays in KV: far longer than any positive verdict written before it can
 * live (VERDICT_TTL_SECONDS from the last D1 read that preceded the revocation). Afterwards a
 * revoked key costs one D1 lookup per isolate per MEMORY_TTL_MS, still refused.
 */
export const TOMBSTONE_TTL_SECONDS = 30 * 24 * 60 * 60;
/** last_used_at is written at most this often per key. */
export const TOUCH_INTERVAL_MS = 5 * 60_000;
/** KV's propagation to other locations: "up to 60 seconds or more" (developers.cloudflare.com/kv/concepts/how-kv-works/). */
const KV_PROPAGATION_SECONDS = 60;

/**
 * A revoked key stops working everywhere within this many seconds once the tombstone is written:
 * other isolates drop their memory within MEMORY_TTL_MS, and other locations see the tombstone
 * once KV has propagated it. The isolate that revoked the key refuses it at once.
 */
export const REVOCATION_BOUND_SECONDS = MEMORY_TTL_MS / 1000 + KV_PROPAGATION_SECONDS;
/**
 * …and within this many when KV refused the tombstone (DELETE then answers 503): no positive
 * verdict is written after D1 records the revocation, so the last one expires, then memory.
 */
export const UNPUBLISHED_REVOCATION_BOUND_SECONDS = VERDICT_TTL_SECONDS + REVOCATION_BOUND_SECONDS;

function isKnownKey(value: unknown): value is KnownKey {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === "number" && typeof v.name === "string" && Array.isArray(v.scopes);
}

/**
 * The verdict KV holds for a key, from its two entries; null when KV knows nothing usable. The
 * tombstone always wins. A bare `"revoked"` in the verdict entry is how tombstones were stored
 * before they had their own key; it still counts until it expires.
 */
export function sharedVerdict(verdict: unknown, tombstone: unknown): KnownKey | RevokedKey | null {
  if (tombstone !== null && tombstone !== undefined) {
    const keyId = (tombstone as Partial<Tombstone>).keyId;
    return { revoked: true, keyId: typeof keyId === "number" ? keyId : null };
  }
  if (verdict === "revoked") return { revoked: true, keyId: null };
  return isKnownKey(verdict) ? verdict : null;
}
