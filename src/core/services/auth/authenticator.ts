import type { ApiKeyRow } from "../../data/schema";
import type { Database } from "../../data/database";
import { describeError, type Logger } from "../../log";
import type { KeyValueStore } from "../../ports";
import { apiKeysRepository } from "../../data/api-keys";
import { constantTimeEqual, sha256, toHex } from "../../digest";
import { isWellFormedApiKey } from "../../domain/key-format";
import type { Principal, Scope } from "../../domain/scopes";
import {
  MEMORY_TTL_MS,
  sharedVerdict,
  TOMBSTONE_TTL_SECONDS,
  tombstoneKey,
  TOUCH_INTERVAL_MS,
  VERDICT_TTL_SECONDS,
  verdictKey,
  type KnownKey,
  type Tombstone,
  type Verdict,
} from "./verdicts";

/** Verdicts an isolate keeps in memory; the oldest is dropped first. */
const MEMORY_CAPACITY = 1_000;
/** A tombstone write is tried this often, the tries at least a second apart (KV takes one write per second per key). */
const TOMBSTONE_ATTEMPTS = 3;
const TOMBSTONE_RETRY_MS = 1_100;

export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked";
export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: Exclude<AuthFailure, "revoked"> }
  | { ok: false; reason: "revoked"; keyId: number | null };

export interface AuthenticatorDeps {
  db: Database;
  kv: KeyValueStore;
  log: Logger;
  adminApiKey: string;
  /** The clock of every expiry and interval the authenticator keeps. */
  now(): Date;
  /** Waits between tombstone attempts. */
  sleep?(ms: number): Promise<void>;
  memoryCapacity?: number;
}

/** What one request lends the authenticator. */
export interface AuthRequest {
  /** Keeps the runtime alive for work that must not delay the response. */
  defer(promise: Promise<unknown>): void;
  /** Called before a key has to be looked up in the database; may throw to refuse. */
  beforeLookup(): Promise<void>;
}

/** KV kept refusing the tombstone: the revocation is recorded in D1 but not yet published. */
export class RevocationNotPublished extends Error {
  override readonly name = "RevocationNotPublished";
}

export interface Authenticator {
  authenticate(presented: string | undefined, request: AuthRequest): Promise<AuthResult>;
  /**
   * Makes a revocation already recorded in D1 take effect: at once in this isolate, and through
   * the KV tombstone everywhere else. Throws RevocationNotPublished when KV refused every try.
   */
  publishRevocation(hash: string, tombstone: Tombstone): Promise<void>;
  /** KV reads that failed and were answered from D1 instead, since this instance was created. */
  readonly kvReadFailures: number;
}

const toKnownKey = (row: ApiKeyRow): KnownKey => ({ id: row.id, name: row.name, scopes: row.scopes as Scope[], lastUsedAt: row.lastUsedAt });

/**
 * Verifies API keys. One instance per isolate (built by the platform's composition root): its
 * memory is that isolate's, so tests can run two of them over one KV and one D1 as two isolates.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const repo = apiKeysRepository(deps.db);
  const capacity = deps.memoryCapacity ?? MEMORY_CAPACITY;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const memory = new Map<string, { verdict: Verdict; expiresAt: number }>();
  const now = () => deps.now().getTime();
  let adminDigest: Promise<Uint8Array> | undefined;
  let kvReadFailures = 0;

  function remember(hash: string, verdict: Verdict) {
    memory.delete(hash);
    if (memory.size >= capacity) memory.delete(memory.keys().next().value!);
    memory.set(hash, { verdict, expiresAt: now() + MEMORY_TTL_MS });
  }

  /** Shares a positive verdict that D1 has just confirmed. A failing write only costs later D1 lookups. */
  async function share(hash: string, key: KnownKey): Promise<void> {
    try {
      await deps.kv.put(verdictKey(hash), key, { ttlSeconds: VERDICT_TTL_SECONDS });
    } catch (error) {
      deps.log.warn("auth: KV write failed; the verdict is not shared", { keyId: key.id, error: describeError(error) });
    }
  }

  /** The verdict, and whether it was just read from D1 with KV answering (so it may be shared). */
  async function lookup(hash: string, request: AuthRequest): Promise<{ verdict: Verdict; fromDb: boolean; kvUp: boolean }> {
    const cached = memory.get(hash);
    if (cached && cached.expiresAt > now()) return { verdict: cached.verdict, fromDb: false, kvUp: true };

    let kvUp = true;
    try {
      const [stored, tombstone] = await deps.kv.getMany<unknown>([verdictKey(hash), tombstoneKey(hash)]);
      const shared = sharedVerdict(stored, tombstone);
      if (shared) {
        remember(hash, shared);
        return { verdict: shared, fromDb: false, kvUp };
      }
    } catch (error) {
      // D1 is the truth and still answers: slower, never wrong. The per-IP limit below still
      // guards it, and memory still spares it all but one lookup per key every MEMORY_TTL_MS.
      kvUp = false;
      kvReadFailures++;
      deps.log.warn("auth: KV read failed; verifying the key in D1", { error: describeError(error), kvReadFailures });
    }

    await request.beforeLookup();
    const row = await repo.findByHash(hash);
    const verdict: Verdict = !row ? "unknown" : row.revokedAt ? { revoked: true, keyId: row.id } : toKnownKey(row);
    remember(hash, verdict);
    return { verdict, fromDb: true, kvUp };
  }

  /**
   * Records that a key was used, at most once per TOUCH_INTERVAL_MS per isolate. The UPDATE
   * only matches a key that is not revoked, and only when it wrote is the verdict (with its new
   * last-used time, which lets other isolates skip their own write) shared in KV.
   */
  function touch(hash: string, key: KnownKey, request: AuthRequest) {
    const at = now();
    key.lastUsedAt = new Date(at).toISOString(); // the cached object: this isolate's next requests skip the write
    const staleBefore = new Date(at - TOUCH_INTERVAL_MS).toISOString();
    request.defer(
      (async () => {
        let row: ApiKeyRow | undefined;
        try {
          row = await repo.touch(key.id, key.lastUsedAt!, staleBefore);
        } catch (error) {
          deps.log.warn("auth: last_used_at update failed", { keyId: key.id, error: describeError(error) });
          return;
        }
        if (row) await share(hash, toKnownKey(row));
      })(),
    );
  }

  const touchDue = (key: KnownKey) => !key.lastUsedAt || now() - Date.parse(key.lastUsedAt) >= TOUCH_INTERVAL_MS;

  return {
    get kvReadFailures() {
      return kvReadFailures;
    },

    async authenticate(presented, request) {
      if (!presented) return { ok: false, reason: "missing" };
      const digest = await sha256(presented);
      adminDigest ??= sha256(deps.adminApiKey);
      if (constantTimeEqual(digest, await adminDigest)) {
        return { ok: true, principal: { keyId: "admin", name: "ADMIN_API_KEY", scopes: ["admin"] } };
      }
      if (!isWellFormedApiKey(presented)) return { ok: false, reason: "malformed" };

      const hash = toHex(digest);
      const { verdict, fromDb, kvUp } = await lookup(hash, request);
      if (verdict === "unknown") return { ok: false, reason: "unknown" };
      if ("revoked" in verdict) return { ok: false, reason: "revoked", keyId: verdict.keyId };
      // One KV write per request at most: the touch shares the verdict when it writes.
      if (touchDue(verdict)) touch(hash, verdict, request);
      else if (fromDb && kvUp) request.defer(share(hash, verdict));
      return { ok: true, principal: { keyId: verdict.id, name: verdict.name, scopes: verdict.scopes } };
    },

    async publishRevocation(hash, tombstone) {
      remember(hash, { revoked: true, keyId: tombstone.keyId });
      for (let attempt = 1; ; attempt++) {
        try {
          await deps.kv.put(tombstoneKey(hash), tombstone, { ttlSeconds: TOMBSTONE_TTL_SECONDS });
          return;
        } catch (error) {
          deps.log.warn("auth: KV refused a revocation tombstone", { keyId: tombstone.keyId, attempt, error: describeError(error) });
          if (attempt >= TOMBSTONE_ATTEMPTS) throw new RevocationNotPublished(describeError(error), { cause: error });
          await sleep(TOMBSTONE_RETRY_MS * attempt);
        }
      }
    },
  };
}
