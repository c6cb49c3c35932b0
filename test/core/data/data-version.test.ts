import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../../src/core/http/app";
import type { AppDeps } from "../../../src/core/http/env";
import { bookmarkOfVersion, createDataVersion, currentVersion, DATA_VERSION_KEY, INITIAL_DATA_VERSION } from "../../../src/core/data/data-version";
import { depsFor } from "../../../src/platform/cloudflare/deps";
import { createKvStore } from "../../../src/platform/cloudflare/kv-store";
import { call, callJson, ORIGIN } from "../../helpers/api";
import { InvocationBudget } from "../../support/invocation";
import { KvFaults } from "../../support/kv-faults";
import { KvWriteRate } from "../../support/kv-write-rate";
import { cacheWriteRate, freshInvocationEnv, isolateDeps } from "../../support/limited-env";
import { limitedKv } from "../../support/limited-kv";
import { ManualTimers } from "../../support/manual-timers";
import { recordingLogger } from "../../helpers/recording-logger";
import { sampleGame } from "../../support/client";
import { waitFor } from "../../support/wait";

// Every KV here is the real local KV behind production's limits: a second write to
// meta:data-version within a second would be refused with a 429 and recorded in `refused`.

/** One KV namespace as several isolates share it: same store, same write-rate limit, same time. */
function sharedKv() {
  const timers = new ManualTimers();
  const writeRate = new KvWriteRate(timers);
  const faults = new KvFaults();
  const budget = new InvocationBudget();
  const kv = createKvStore(limitedKv(env.CACHE, { budget: () => budget, writeRate, faults }));
  /** A fresh isolate's data version over this KV. */
  const isolate = () => {
    const { log, lines } = recordingLogger();
    return { dataVersion: createDataVersion(kv, log, timers), lines };
  };
  return { timers, writeRate, faults, kv, isolate };
}

const stored = () => env.CACHE.get<string>(DATA_VERSION_KEY, "json");

describe("coalescing", () => {
  it("a burst of bumps is one write now and one write a second later, carrying the last bump", async () => {
    const { timers, writeRate, isolate } = sharedKv();
    const { dataVersion } = isolate();
    await dataVersion.bump();
    expect(writeRate.writesTo(DATA_VERSION_KEY)).toHaveLength(1);
    const first = await stored();

    const landed = dataVersion.bump();
    for (let i = 0; i < 8; i++) expect(dataVersion.bump()).toBe(landed);
    const last = dataVersion.pending();
    expect(last).toBeDefined();
    expect(last).not.toBe(first);
    // The writer's reads already use a version that differs from what KV holds.
    expect(currentVersion(await stored(), dataVersion.pending())).not.toBe(first);

    await waitFor(async () => timers.sleeping, (n) => n === 1, { what: "the flush to wait for the window" });
    timers.advance(999);
    expect(writeRate.writesTo(DATA_VERSION_KEY)).toHaveLength(1);
    timers.advance(1);
    await landed;

    const writes = writeRate.writesTo(DATA_VERSION_KEY);
    expect(writes).toHaveLength(2);
    expect(writes[1]!.at - writes[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(writeRate.refused).toEqual([]);
    expect(await stored()).toBe(last);
    expect(dataVersion.pending()).toBeUndefined();
  });

  it("bump() returns at once; what it returns settles only when the write is done", async () => {
    const { timers, isolate } = sharedKv();
    const { dataVersion } = isolate();
    await dataVersion.bump();
    let settled = false;
    const second = dataVersion.bump().then(() => (settled = true));
    await waitFor(async () => timers.sleeping, (n) => n === 1, { what: "the coalescing wait" });
    expect(settled).toBe(false);
    timers.advance(1000);
    await second;
    expect(settled).toBe(true);
  });

  it("isolates are independent: each new one starts with nothing pending", () => {
    const { isolate } = sharedKv();
    const a = isolate().dataVersion;
    a.bump();
    expect(a.pending()).toBeDefined();
    expect(isolate().dataVersion.pending()).toBeUndefined();
  });
});

describe("refused and failing writes", () => {
  const kv = sharedKv();
  afterEach(() => kv.faults.clear());

  it("a 429 caused by another isolate's write is folded into the next window, not lost", async () => {
    const { timers, writeRate, isolate } = sharedKv();
    const a = isolate();
    const b = isolate();
    await a.dataVersion.bump();
    const landed = b.dataVersion.bump();
    const mine = b.dataVersion.pending();
    await waitFor(async () => writeRate.refusedFor(DATA_VERSION_KEY).length, (n) => n === 1, { what: "the refused write" });
    expect(b.lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "data version bump refused; retrying" }));
    expect(b.dataVersion.pending()).toBe(mine);
    await waitFor(async () => timers.sleeping, (n) => n === 1, { what: "the retry's wait" });
    timers.advance(1000);
    await landed;
    expect(await stored()).toBe(mine);
    expect(b.dataVersion.pending()).toBeUndefined();
  });

  it("a failing KV is retried after 1, 2 and 4 s, and the bump lands once KV recovers", async () => {
    const { timers, faults, writeRate, isolate } = kv;
    const { dataVersion, lines } = isolate();
    faults.fail("write", { times: 3 });
    const landed = dataVersion.bump();
    const version = dataVersion.pending();
    for (const [failed, backoff] of [[1, 1000], [2, 2000], [3, 4000]] as const) {
      await waitFor(async () => [faults.injected.length, timers.sleeping], ([f, s]) => f === failed && s === 1, { what: `failure ${failed}` });
      timers.advance(backoff - 1);
      expect(faults.injected).toHaveLength(failed);
      timers.advance(1);
    }
    await landed;
    expect(await stored()).toBe(version);
    expect(writeRate.writesTo(DATA_VERSION_KEY)).toHaveLength(1);
    expect(lines.filter((e) => e.level === "warn").map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it("after 5 failed writes it stops with an error log, keeps the bump pending, and the next bump writes it", async () => {
    const { timers, faults, isolate } = kv;
    const { dataVersion, lines } = isolate();
    faults.fail("write");
    let gaveUp = false;
    const landed = dataVersion.bump().then(() => (gaveUp = true));
    const lost = dataVersion.pending();
    for (let failures = 1; failures < 5; failures++) {
      await waitFor(async () => timers.sleeping, (n) => n === 1, { what: `retry ${failures}` });
      timers.advance(8000);
    }
    await landed;
    expect(gaveUp).toBe(true);
    expect(faults.injected).toHaveLength(5);
    expect(lines).toContainEqual(expect.objectContaining({ level: "error", msg: "data version bump failed; the next bump retries it" }));
    expect(dataVersion.pending()).toBe(lost);

    faults.clear();
    const next = dataVersion.bump();
    const newest = dataVersion.pending();
    await waitFor(async () => timers.sleeping, (n) => n === 1, { what: "the next window" });
    timers.advance(1000);
    await next;
    expect(await stored()).toBe(newest);
    expect(dataVersion.pending()).toBeUndefined();
  });
});

describe("currentVersion", () => {
  it("is the stored version, combined with this isolate's pending bump", () => {
    expect(currentVersion(null, undefined)).toBe(INITIAL_DATA_VERSION);
    expect(currentVersion("a", undefined)).toBe("a");
    expect(currentVersion("a", "b")).toBe("a+b");
    // Once our bump is the stored one, reads share the version every isolate sees.
    expect(currentVersion("b", "b")).toBe("b");
    // Another isolate's newer bump changes the version even while ours is pending.
    expect(currentVersion("c", "b")).not.toBe(currentVersion("a", "b"));
  });
});

describe("through the API", () => {
  it("write requests do not wait for the coalescing window, and the writer reads its writes before the bump lands", async () => {
    const { timers, writeRate, kv, isolate } = sharedKv();
    const { dataVersion } = isolate();
    const deps: AppDeps = { ...depsFor(freshInvocationEnv(env)), kv, dataVersion };
    const deferred: Promise<unknown>[] = [];
    const app = createApp();
    const send = (path: string, init?: RequestInit) =>
      app.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers: { Authorization: `Bearer ${env.ADMIN_API_KEY}`, "Content-Type": "application/json" } }), {
        deps,
        defer: (p) => deferred.push(p),
        clientIp: "10.77.0.1",
      });

    const created = [];
    for (let i = 0; i < 3; i++) {
      const res = await send("/api/games", { method: "POST", body: JSON.stringify(sampleGame({ storeId: String(61_000_000 + i), name: `Coalesced ${i}` })) });
      expect(res.status).toBe(201);
      created.push(await res.json<{ id: number }>());
      // The response is here although the flush is asleep until the manual clock moves.
      if (i > 0) expect(timers.sleeping).toBe(1);
    }
    expect(writeRate.writesTo(DATA_VERSION_KEY)).toHaveLength(1);
    const list = await (await send("/api/games?limit=1000")).json<{ id: number }[]>();
    expect(list.map((g) => g.id)).toEqual(expect.arrayContaining(created.map((g) => g.id)));

    const pending = dataVersion.pending();
    timers.advance(1000);
    await Promise.all(deferred);
    expect(await stored()).toBe(pending);
    expect(writeRate.writesTo(DATA_VERSION_KEY)).toHaveLength(2);
    expect(writeRate.refusedFor(DATA_VERSION_KEY)).toEqual([]);
  });

  it("a burst of writes through the Worker: each is in the writer's next read, and the version is written at most once a second", async () => {
    const before = { writes: cacheWriteRate.writesTo(DATA_VERSION_KEY).length, refused: cacheWriteRate.refusedFor(DATA_VERSION_KEY).length };
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { body: game } = await callJson<{ id: number; name: string }>("/api/games", 201, { body: sampleGame({ storeId: String(62_000_000 + i), name: `Burst ${i}` }) });
      ids.push(game.id);
      const { body: read } = await callJson<{ name: string }>(`/api/games/${game.id}`, 200);
      expect(read.name).toBe(`Burst ${i}`);
    }
    const { body: list } = await callJson<{ id: number }[]>("/api/games?limit=1000", 200);
    expect(list.map((g) => g.id)).toEqual(expect.arrayContaining(ids));

    await waitFor(async () => isolateDeps(env).dataVersion.pending(), (p) => p === undefined, { timeoutMs: 10_000, what: "the last bump to land" });
    const writes = cacheWriteRate.writesTo(DATA_VERSION_KEY).slice(before.writes);
    // None refused: the limited KV would have refused (and recorded) a second write within a second.
    expect(cacheWriteRate.refusedFor(DATA_VERSION_KEY).length).toBe(before.refused);
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThan(6);
    for (let i = 1; i < writes.length; i++) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    const res = await call("/api/games?limit=1000");
    expect((await res.json<{ id: number }[]>()).map((g) => g.id)).toEqual(expect.arrayContaining(ids));
  });
});

describe("the bookmark a version carries (D1 read replication)", () => {
  const older = "00000001-00000002-00000003-00000000000000000000000000000001";
  const newer = "00000001-00000002-00000004-00000000000000000000000000000001";

  it("a bump is stored with the writing session's bookmark; readWith hands it to the reader", async () => {
    const { timers, isolate } = sharedKv();
    timers.advance(10_000);
    const { dataVersion } = isolate();
    await dataVersion.bump(older);
    expect(await stored()).toMatch(new RegExp(`@${older}$`));
    const reader = isolate().dataVersion;
    expect(await reader.readWith("read:none")).toMatchObject({ bookmark: older, value: null });
  });

  it("a bump with an older bookmark than one before it (requests finish in any order) still names the newer", async () => {
    const { timers, isolate } = sharedKv();
    timers.advance(10_000);
    const { dataVersion } = isolate();
    await dataVersion.bump(newer);
    timers.advance(1_000);
    await dataVersion.bump(older);
    expect(bookmarkOfVersion((await stored())!)).toBe(newer);
  });

  it("an isolate that read another's newer bookmark never bumps below it", async () => {
    const { timers, isolate } = sharedKv();
    timers.advance(10_000);
    await isolate().dataVersion.bump(newer);
    const other = isolate().dataVersion;
    await other.readWith("read:none");
    timers.advance(1_000);
    await other.bump(older);
    expect(bookmarkOfVersion((await stored())!)).toBe(newer);
  });

  it("a combined version (stored + this isolate's pending bump) requires the freshest of its bookmarks; tokens without one require none", () => {
    expect(bookmarkOfVersion(`a-1@${older}+b-2@${newer}`)).toBe(newer);
    expect(bookmarkOfVersion(`a-1@${newer}+b-2`)).toBe(newer);
    expect(bookmarkOfVersion("a-1+b-2")).toBeNull();
    expect(bookmarkOfVersion(INITIAL_DATA_VERSION)).toBeNull();
    expect(bookmarkOfVersion("manual-1@not-a-bookmark")).toBeNull();
  });
});
