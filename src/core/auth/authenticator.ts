import type { Database } from "../db/database";
import type { Logger } from "../log";
import type { KeyValueStore } from "../ports";
import { apiKeysRepository } from "../repositories/api-keys";
import { constantTimeEqual, sha256, toHex } from "./digest";
import { isWellFormedApiKey } from "./key-format";
import type { Principal, Scope } from "./scopes";

/**
 * Verified keys are cached so that a request does not cost a D1 query: first in this isolate's
 * memory, then in KV (shared by the isolates of a location). A revocation deletes both entries
 * where it runs; elsewhere it takes effect when they expire:
 * - the same isolate: immediately;
 * - other isolates: within MEMORY_TTL_MS (30 s);
 * - other locations: within 30 s plus KV's propagation of the delete (about 60 s).
 */
const MEMORY_TTL_MS = 30_000;
const MEMORY_MAX_ENTRIES = 1_000;
const KV_TTL_SECONDS = 300;
/** A revocation's tombstone write is tried this often, a little over KV's one write per second apart. */
const TOMBSTONE_ATTEMPTS = 3;
const TOMBSTONE_RETRY_MS = 1_100;
/** last_used_at is written at most this often per key and isolate. */
export const TOUCH_INTERVAL_MS = 5 * 60_000;

interface KnownKey {
  id: number;
  name: string;
  scopes: Scope[];
  lastUsedAt: string | null;
}

/** A cached verdict: a usable key, `revoked` (also a KV tombstone) or `unknown` (memory only). */
type Verdict = KnownKey | "revoked" | "unknown";

const memory = new Map<string, { verdict: Verdict; expiresAt: number }>();
const adminDigests = new Map<string, Uint8Array>();

const kvKey = (hash: string) => `auth:${hash}`;

function remember(hash: string, verdict: Verdict) {
  if (memory.size >= MEMORY_MAX_ENTRIES) memory.delete(memory.keys().next().value!);
  memory.set(hash, { verdict, expiresAt: Date.now() + MEMORY_TTL_MS });
}

export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked";
export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure };

export interface AuthDeps {
  db: Database;
  kv: KeyValueStore;
  log: Logger;
  adminApiKey: string;
  defer(promise: Promise<unknown>): void;
  /** Called before a key has to be looked up in the database; may throw to refuse. */
  beforeLookup(): Promise<void>;
}

async function adminDigest(adminApiKey: string): Promise<Uint8Array> {
  let digest = adminDigests.get(adminApiKey);
  if (!digest) {
    digest = await sha256(adminApiKey);
    adminDigests.set(adminApiKey, digest);
  }
  return digest;
}

/** A verdict, and whether it came from the database (then KV does not have it yet). */
async function lookup(hash: string, deps: AuthDeps): Promise<{ verdict: Verdict; fromDatabase: boolean }> {
  const cached = memory.get(hash);
  if (cached && cached.expiresAt > Date.now()) return { verdict: cached.verdict, fromDatabase: false };

  const shared = await deps.kv.get<KnownKey | "revoked">(kvKey(hash));
  if (shared) {
    remember(hash, shared);
    return { verdict: shared, fromDatabase: false };
  }

  await deps.beforeLookup();
  const row = await apiKeysRepository(deps.db).findByHash(hash);
  const verdict: Verdict = !row
    ? "unknown"
    : row.revokedAt
      ? "revoked"
      : { id: row.id, name: row.name, scopes: row.scopes as Scope[], lastUsedAt: row.lastUsedAt };
  remember(hash, verdict);
  return { verdict, fromDatabase: true };
}

/**
 * Records that a key was used, at most once per TOUCH_INTERVAL_MS per isolate. Returns whether it
 * wrote the verdict to KV.
 */
function touch(hash: string, key: KnownKey, deps: AuthDeps): boolean {
  const now = Date.now();
  if (key.lastUsedAt && now - Date.parse(key.lastUsedAt) < TOUCH_INTERVAL_MS) return false;
  const at = new Date(now).toISOString();
  key.lastUsedAt = at; // the cached verdict object: later requests in this isolate skip the write
  const staleBefore = new Date(now - TOUCH_INTERVAL_MS).toISOString();
  deps.defer(
    Promise.all([
      apiKeysRepository(deps.db).touch(key.id, at, staleBefore),
      // Other isolates read the new time from KV and skip their own write.
      deps.kv.put(kvKey(hash), key, { ttlSeconds: KV_TTL_SECONDS }),
    ]).catch((error) => deps.log.warn("last_used_at update failed", { keyId: key.id, error: String(error) })),
  );
  remember(hash, key);
  return true;
}

export async function authenticate(presented: string | undefined, deps: AuthDeps): Promise<AuthResult> {
  if (!presented) return { ok: false, reason: "missing" };
  const digest = await sha256(presented);
  if (constantTimeEqual(digest, await adminDigest(deps.adminApiKey))) {
    return { ok: true, principal: { keyId: "admin", name: "ADMIN_API_KEY", scopes: ["admin"] } };
  }
  if (!isWellFormedApiKey(presented)) return { ok: false, reason: "malformed" };

  const hash = toHex(digest);
  const { verdict, fromDatabase } = await lookup(hash, deps);
  if (typeof verdict === "string") return { ok: false, reason: verdict };
  // At most one KV write per request: KV takes one write per second to a key, so a first use must
  // not store the verdict and then store it again with its new last-used time.
  if (!touch(hash, verdict, deps) && fromDatabase) {
    deps.defer(
      deps.kv
        .put(kvKey(hash), verdict, { ttlSeconds: KV_TTL_SECONDS })
        .catch((error) => deps.log.warn("key verdict cache write failed", { keyId: verdict.id, error: String(error) })),
    );
  }
  return { ok: true, principal: { keyId: verdict.id, name: verdict.name, scopes: verdict.scopes } };
}

/**
 * Replaces a key's cached verdicts after revocation, in this isolate's memory and in KV. A
 * tombstone rather than a delete, so other isolates stop trusting the key as soon as KV shows
 * it, instead of falling through to a stale positive verdict.
 */
export async function forgetKey(hash: string, kv: KeyValueStore): Promise<void> {
  remember(hash, "revoked");
  // KV refuses a second write to a key within a second (429), e.g. right after the key's first
  // use stored its verdict: try again once the second is over.
  for (let attempt = 1; ; attempt++) {
    try {
      await kv.put(kvKey(hash), "revoked", { ttlSeconds: KV_TTL_SECONDS });
      return;
    } catch (error) {
      if (attempt >= TOMBSTONE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, TOMBSTONE_RETRY_MS));
    }
  }
}
