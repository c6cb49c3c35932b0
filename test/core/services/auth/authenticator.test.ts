import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { createAuthenticator, type AuthenticatorDeps } from "../../../../src/core/services/auth/authenticator";
import { generateApiKey } from "../../../../src/core/domain/key-format";
import {
  MEMORY_TTL_MS,
  REVOCATION_BOUND_SECONDS,
  TOMBSTONE_TTL_SECONDS,
  tombstoneKey,
  TOUCH_INTERVAL_MS,
  UNPUBLISHED_REVOCATION_BOUND_SECONDS,
  VERDICT_TTL_SECONDS,
  verdictKey,
} from "../../../../src/core/services/auth/verdicts";
import type { AppError } from "../../../../src/core/errors";
import type { KeyValueStore } from "../../../../src/core/ports";
import { apiKeysService } from "../../../../src/core/services/api-keys";
import { createKvStore } from "../../../../src/platform/cloudflare/kv-store";
import { insertKey } from "../../../helpers/checks";
import { manualClock, type ManualClock } from "../../../helpers/clock";
import { faultyKvStore, gate } from "../../../support/kv-faults";
import { KvWriteRate } from "../../../support/kv-write-rate";
import { recordingLogger } from "../../../helpers/recording-logger";

const db = drizzle(env.DB);
/** The one real (local) KV namespace every simulated isolate shares. */
const sharedKv = createKvStore(env.CACHE);

/**
 * One simulated isolate: its own authenticator (its own memory) over the shared D1 and KV, the
 * test's clock, and the work it defers run to completion after every request, as `waitUntil`
 * does. `lookups` counts the D1 lookups it had to make (each passes the per-IP guard).
 */
function isolate(clock: ManualClock, kv: KeyValueStore = sharedKv, options: Partial<AuthenticatorDeps> & { realSleep?: boolean } = {}) {
  const { realSleep, ...overrides } = options;
  const { log, lines } = recordingLogger();
  const sleeps: number[] = [];
  const authenticator = createAuthenticator({
    db,
    kv,
    log,
    adminApiKey: env.ADMIN_API_KEY,
    now: clock.now,
    // Waiting moves the test's clock (and, when asked, really waits too).
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      if (realSleep) await new Promise((resolve) => setTimeout(resolve, ms));
    },
    ...overrides,
  });
  const deferred: Promise<unknown>[] = [];
  let lookups = 0;
  const request = { defer: (p: Promise<unknown>) => void deferred.push(p), beforeLookup: async () => void lookups++ };
  return {
    authenticator,
    lines,
    sleeps,
    get lookups() {
      return lookups;
    },
    /** Authenticates `key` and waits for what the request deferred. */
    async use(key: string) {
      const result = await authenticator.authenticate(key, request);
      await this.settle();
      return result;
    },
    /** Authenticates without waiting for the deferred work. */
    start: (key: string) => authenticator.authenticate(key, request),
    settle: async () => {
      while (deferred.length) await Promise.all(deferred.splice(0));
    },
    /** DELETE /api/keys/{id} served by this isolate. */
    revoke: (id: number) => apiKeysService({ db, authenticator, log, now: () => new Date() }).revoke(id),
  };
}

const lastUsedAt = async (id: number) =>
  (await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?").bind(id).first<{ last_used_at: string | null }>())!.last_used_at;

/** The KV entry's expiry, in epoch seconds (KV lists it per key). */
async function kvExpiration(key: string): Promise<number | undefined> {
  const { keys } = await env.CACHE.list({ prefix: key });
  return keys.find((k) => k.name === key)?.expiration;
}

/** A key whose last use was recorded `agoMs` before the clock's now, as another isolate would have. */
async function keyLastUsed(clock: ManualClock, agoMs: number) {
  const key = await insertKey(["games:read"], "leaked");
  await env.DB.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").bind(new Date(clock.ms - agoMs).toISOString(), key.id).run();
  return key;
}

describe("revocation is final across isolates", () => {
  it("an isolate still holding the key keeps using it and its last-used write fires: the tombstone stays, no positive verdict is written, A refuses at once and B within the memory TTL", async () => {
    const clock = manualClock();
    const watched = faultyKvStore(sharedKv);
    const a = isolate(clock, watched.kv);
    const b = isolate(clock, watched.kv);
    // Last used 4 min 50 s ago: B's last-used write falls due while B still trusts its memory.
    const { id, key, hash } = await keyLastUsed(clock, TOUCH_INTERVAL_MS - 10_000);
    const recordedUse = await lastUsedAt(id);

    expect(await b.use(key)).toMatchObject({ ok: true });
    expect(await a.use(key)).toMatchObject({ ok: true });
    expect(await env.CACHE.get(verdictKey(hash), "json")).toMatchObject({ id });

    clock.advance(1_000);
    const revokedAt = clock.ms;
    await a.revoke(id);
    const writesBeforeUse = watched.record.written.length;
    expect(await a.use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });

    // B, 15 s later: still inside the bound, it serves the key from memory, and its last-used
    // write is due. The write is refused by D1 (the key is revoked), so nothing is shared.
    clock.advance(14_000);
    expect(await b.use(key)).toMatchObject({ ok: true });
    expect(await lastUsedAt(id)).toBe(recordedUse);
    expect(watched.record.written.slice(writesBeforeUse)).toEqual([]);
    expect(await env.CACHE.get(tombstoneKey(hash), "json")).toMatchObject({ keyId: id });

    // Once B's memory expires it reads KV, where the tombstone wins.
    clock.advance(revokedAt + MEMORY_TTL_MS - clock.ms);
    const refused = await b.use(key);
    expect(refused).toEqual({ ok: false, reason: "revoked", keyId: id });
    expect(clock.ms - revokedAt).toBeLessThanOrEqual(REVOCATION_BOUND_SECONDS * 1000);

    // And for good: 20 more minutes of use in B and a fresh isolate C never bring it back.
    const c = isolate(clock, watched.kv);
    for (let i = 0; i < 40; i++) {
      clock.advance(MEMORY_TTL_MS);
      expect((await b.use(key)).ok).toBe(false);
      expect((await c.use(key)).ok).toBe(false);
    }
    expect(c.lookups).toBe(0); // the tombstone answered; D1 was not needed
    expect(watched.record.written.slice(writesBeforeUse)).toEqual([]);
  });

  it("a positive verdict that lands after the tombstone (an isolate whose D1 read preceded the revocation) does not bring the key back", async () => {
    const clock = manualClock();
    const slow = faultyKvStore(sharedKv);
    const a = isolate(clock);
    const b = isolate(clock, slow.kv);
    const { id, key, hash } = await keyLastUsed(clock, 60_000);

    // B reads D1 (not revoked yet) and defers sharing the verdict; its KV write is held back.
    const held = gate();
    slow.faults.holdWrites(held.promise);
    expect(await b.start(key)).toMatchObject({ ok: true });
    await a.revoke(id);
    held.open();
    await b.settle();
    // The late positive verdict is really in KV, next to the tombstone…
    expect(slow.record.written).toEqual([verdictKey(hash)]);
    expect(await env.CACHE.get(verdictKey(hash), "json")).toMatchObject({ id });
    // …and every isolate that reads KV still refuses the key.
    expect(await isolate(clock).use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });
    clock.advance(MEMORY_TTL_MS);
    expect(await b.use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });
  });

  it("a revocation racing many uses in three isolates: every isolate refuses the key within the memory TTL, and keeps refusing it", async () => {
    const clock = manualClock();
    const isolates = [isolate(clock), isolate(clock), isolate(clock)];
    const { id, key } = await keyLastUsed(clock, TOUCH_INTERVAL_MS + 1);
    await Promise.all(isolates.map((i) => i.use(key)));

    const uses = isolates.flatMap((i) => Array.from({ length: 10 }, () => i.start(key)));
    await Promise.all([isolates[0]!.revoke(id), ...uses]);
    await Promise.all(isolates.map((i) => i.settle()));

    clock.advance(MEMORY_TTL_MS);
    for (let round = 0; round < 10; round++) {
      for (const i of isolates) expect(await i.use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });
      clock.advance(TOUCH_INTERVAL_MS);
    }
  });

  it("a verdict dropped from a full memory is read again from KV, where the tombstone is", async () => {
    const clock = manualClock();
    const a = isolate(clock);
    const b = isolate(clock, sharedKv, { memoryCapacity: 2 });
    const { id, key } = await keyLastUsed(clock, 60_000);
    expect(await b.use(key)).toMatchObject({ ok: true });
    await a.revoke(id);
    // Two other keys push the verdict out of B's memory long before its TTL.
    for (const other of [generateApiKey(), generateApiKey()]) expect(await b.use(other)).toEqual({ ok: false, reason: "unknown" });
    expect(await b.use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });
  });

  it("keeps the tombstone far longer than any positive verdict it must outrank", async () => {
    const clock = manualClock();
    const { id, hash } = await keyLastUsed(clock, 0);
    const before = Math.floor(Date.now() / 1000);
    await isolate(clock).revoke(id);
    expect(await kvExpiration(tombstoneKey(hash))).toBeGreaterThanOrEqual(before + TOMBSTONE_TTL_SECONDS);
    expect(TOMBSTONE_TTL_SECONDS).toBeGreaterThan(100 * VERDICT_TTL_SECONDS);
  });
});

describe("a revocation KV does not take", () => {
  it("KV refusing the tombstone: DELETE is a 503 after 3 tries a second apart, the key is revoked in D1, refused where revoked, never re-shared, and stops everywhere once the last positive verdict expires", async () => {
    const clock = manualClock();
    const failing = faultyKvStore(sharedKv);
    const a = isolate(clock, failing.kv);
    const b = isolate(clock);
    const { id, key, hash } = await keyLastUsed(clock, TOUCH_INTERVAL_MS - 1_000);
    expect(await b.use(key)).toMatchObject({ ok: true });
    const verdictExpiry = await kvExpiration(verdictKey(hash));
    expect(verdictExpiry).toBeDefined();

    failing.faults.fail("write", { keys: (k) => k === tombstoneKey(hash) });
    const revokedAtWall = Math.floor(Date.now() / 1000);
    const error = (await a.revoke(id).catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ code: "service-unavailable", status: 503, headers: { "Retry-After": "5" } });
    expect(error.detail).toMatch(/revoked in the database/);
    expect(error.detail).toMatch(/Repeat this DELETE/);
    expect(error.detail).toContain(`${UNPUBLISHED_REVOCATION_BOUND_SECONDS} s`);
    expect(failing.record.refused).toEqual([tombstoneKey(hash), tombstoneKey(hash), tombstoneKey(hash)]);
    expect(a.sleeps).toEqual([1_100, 2_200]);
    expect(a.lines).toContainEqual(expect.objectContaining({ level: "error", msg: "revocation recorded in D1 but not published to KV", keyId: id }));
    const stored = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?").bind(id).first<{ revoked_at: string | null }>();
    expect(stored!.revoked_at).not.toBeNull();

    // The isolate that revoked refuses at once.
    expect(await a.use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });
    // B keeps the last positive verdict (no tombstone reached KV) but cannot renew it: its
    // last-used writes are refused by D1, so KV's copy still expires on schedule.
    const recordedUse = await lastUsedAt(id);
    for (let i = 0; i < 20; i++) {
      clock.advance(MEMORY_TTL_MS);
      await b.use(key);
    }
    expect(await lastUsedAt(id)).toBe(recordedUse);
    expect(await kvExpiration(verdictKey(hash))).toBe(verdictExpiry);
    expect(verdictExpiry!).toBeLessThanOrEqual(revokedAtWall + VERDICT_TTL_SECONDS + 1);

    // When it expires (KV's TTL, done here by hand), B asks D1 and refuses the key.
    await env.CACHE.delete(verdictKey(hash));
    clock.advance(MEMORY_TTL_MS);
    expect(await b.use(key)).toEqual({ ok: false, reason: "revoked", keyId: id });

    // KV recovers: repeating the DELETE publishes the tombstone and answers the key.
    failing.faults.clear();
    expect(await a.revoke(id)).toMatchObject({ id, revokedAt: stored!.revoked_at });
    expect(await env.CACHE.get(tombstoneKey(hash), "json")).toEqual({ keyId: id, revokedAt: stored!.revoked_at });
  });

  it("KV's one write per second per key: a DELETE repeated at once succeeds by retrying a second later", async () => {
    const clock = manualClock();
    const limited = faultyKvStore(sharedKv, { writeRate: new KvWriteRate({ now: () => clock.ms }) });
    // Really waits too, so KV itself (production, or a test binding enforcing its limits) sees
    // the two writes more than a second apart as well.
    const a = isolate(clock, limited.kv, { realSleep: true });
    const { id, hash } = await keyLastUsed(clock, 0);
    await a.revoke(id);
    expect(a.sleeps).toEqual([]);
    await a.revoke(id);
    expect(limited.record.refused).toEqual([tombstoneKey(hash)]);
    expect(a.sleeps).toEqual([1_100]);
    expect(limited.record.written).toEqual([tombstoneKey(hash), tombstoneKey(hash)]);
  });
});

describe("KV trouble degrades to D1", () => {
  it("a KV that throws on every read: keys are verified in D1 (valid, revoked, unknown), each D1 lookup passes the per-IP guard, and each fallback is logged and counted", async () => {
    const clock = manualClock();
    const broken = faultyKvStore(sharedKv);
    const b = isolate(clock, broken.kv);
    const good = await keyLastUsed(clock, 60_000);
    const revoked = await keyLastUsed(clock, 60_000);
    await isolate(clock).revoke(revoked.id);

    broken.faults.fail("read");
    expect(await b.use(good.key)).toMatchObject({ ok: true, principal: { keyId: good.id, scopes: ["games:read"] } });
    expect(await b.use(revoked.key)).toEqual({ ok: false, reason: "revoked", keyId: revoked.id });
    expect(await b.use(generateApiKey())).toEqual({ ok: false, reason: "unknown" });
    expect(b.lookups).toBe(3);
    expect(b.authenticator.kvReadFailures).toBe(3);
    const warnings = b.lines.filter((l) => l.msg === "auth: KV read failed; verifying the key in D1");
    expect(warnings.map((l) => [l.level, l.kvReadFailures])).toEqual([["warn", 1], ["warn", 2], ["warn", 3]]);
    expect(String(warnings[0]!.error)).toContain("503");
    // Nothing is written to a KV that just failed: memory carries the verdict meanwhile.
    expect(broken.record.written).toEqual([]);
    expect(await b.use(good.key)).toMatchObject({ ok: true });
    expect(b.lookups).toBe(3);
  });

  it("a KV that throws on every write: requests still succeed, the use is recorded in D1, and the failure is logged", async () => {
    const clock = manualClock();
    const broken = faultyKvStore(sharedKv);
    broken.faults.fail("write");
    const b = isolate(clock, broken.kv);
    const fresh = await keyLastUsed(clock, 60_000);
    const due = await keyLastUsed(clock, TOUCH_INTERVAL_MS + 1);
    expect(await b.use(fresh.key)).toMatchObject({ ok: true });
    expect(await b.use(due.key)).toMatchObject({ ok: true });
    expect(await lastUsedAt(due.id)).toBe(clock.now().toISOString());
    expect(broken.record.refused).toEqual([verdictKey(fresh.hash), verdictKey(due.hash)]);
    expect(b.lines.filter((l) => l.msg === "auth: KV write failed; the verdict is not shared").map((l) => l.level)).toEqual(["warn", "warn"]);
  });
});
