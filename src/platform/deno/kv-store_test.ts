// `deno test src/platform/deno/` (run by test/node/deno-unit.test.ts in `npm test`): the Deno KV
// KeyValueStore against a real, in-memory Deno KV — values over Deno KV's 64 KiB limit, text
// that V8 stores at two bytes per character, expiry, overwrite and delete.
import assert from "node:assert/strict";
import { createKvStore } from "./kv-store";

const opts = { sanitizeOps: false, sanitizeResources: false };
const keysUnder = async (kv: Deno.Kv, prefix: Deno.KvKey) => (await Array.fromAsync(kv.list({ prefix }))).length;

Deno.test("JSON values round-trip; absent keys are null; getMany keeps the order of its keys", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createKvStore(kv);
  await store.put("a", { n: 1, list: [1, "two", null], nested: { ok: true } });
  await store.put("b", "revoked");
  assert.deepEqual(await store.get("a"), { n: 1, list: [1, "two", null], nested: { ok: true } });
  assert.equal(await store.get("missing"), null);
  const keys = Array.from({ length: 23 }, (_, i) => `k${i}`);
  for (const [i, key] of keys.entries()) if (i % 3 === 0) await store.put(key, i);
  assert.deepEqual(await store.getMany(["b", "missing", ...keys]), ["revoked", null, ...keys.map((_, i) => (i % 3 === 0 ? i : null))]);
  kv.close();
});

Deno.test("values far over 64 KiB — ASCII or not — are stored in chunks and read back whole", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createKvStore(kv);
  // ~50 KB of UTF-8 that V8 would serialize as ~100 KB of UTF-16: the case a cached page of games hits.
  const page = { version: "v1", body: JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: i, name: `Pokémon ポケモン ${i}`.repeat(12) }))) };
  const huge = { body: "x".repeat(3_000_000) };
  await store.put("page", page, { ttlSeconds: 300 });
  await store.put("huge", huge);
  assert.deepEqual(await store.get("page"), page);
  assert.deepEqual(await store.getMany(["huge", "page"]), [huge, page]);
  assert.ok((await keysUnder(kv, ["kv-chunk", "huge"])) >= 50);
  kv.close();
});

Deno.test("an overwrite or a delete removes the old chunks", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createKvStore(kv);
  await store.put("big", { body: "y".repeat(200_000) });
  const first = await keysUnder(kv, ["kv-chunk", "big"]);
  assert.ok(first >= 4);
  await store.put("big", { body: "z".repeat(200_000) });
  assert.equal(await keysUnder(kv, ["kv-chunk", "big"]), first);
  assert.equal(((await store.get<{ body: string }>("big"))!.body)[0], "z");
  await store.put("big", "small now");
  assert.equal(await keysUnder(kv, ["kv-chunk", "big"]), 0);
  await store.put("big", { body: "w".repeat(200_000) });
  await store.delete("big");
  assert.equal(await store.get("big"), null);
  assert.equal(await keysUnder(kv, ["kv-chunk", "big"]), 0);
  kv.close();
});

Deno.test("an entry is never served past its TTL, even before Deno KV deletes it", opts, async () => {
  const kv = await Deno.openKv(":memory:");
  let clock = 1_000_000;
  const store = createKvStore(kv, () => clock);
  await store.put("short", "v", { ttlSeconds: 30 });
  await store.put("forever", "v");
  clock += 29_000;
  assert.equal(await store.get("short"), "v");
  clock += 2_000;
  assert.equal(await store.get("short"), null);
  assert.deepEqual(await store.getMany(["short", "forever"]), [null, "v"]);
  kv.close();
});
