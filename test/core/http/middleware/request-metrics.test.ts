/**
 * Every request writes one data point to the METRICS dataset (Workers Analytics Engine), from the
 * access-log middleware, at every LOG_LEVEL (the test configuration runs at warn). Miniflare's
 * dataset keeps nothing, so the points are read from the limit-enforcing binding every Workers
 * test runs with (test/support/limited-analytics-engine.ts), which sees exactly what production's
 * dataset would receive, in the columns docs/RUNBOOK.md queries.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../../../src/core/digest";
import { callDrained, createKey } from "../../../helpers/api";
import { randomIp, sampleGame } from "../../../support/client";
import { metricsLog } from "../../../support/limited-env";

beforeEach(() => metricsLog.clear());
afterEach(() => {
  metricsLog.clear();
  vi.restoreAllMocks();
});

const requestPoints = () => metricsLog.points.filter((p) => p.blobs?.[0] === "request");

describe("the request data point", () => {
  it("is one per request: route pattern, method, cache, status class, duration, status, key id", async () => {
    const { id, key } = await createKey(["games:read", "games:write"], "measured");
    const cases = [
      { path: "/api/games?limit=2", options: { key }, route: "/api/games", method: "GET", cache: "MISS", keyId: String(id) },
      // A miss is stored when its URL missed recently (read-cache admission): the second read stores it, the third hits.
      { path: "/api/games?limit=2", options: { key }, route: "/api/games", method: "GET", cache: "MISS", keyId: String(id) },
      { path: "/api/games?limit=2", options: { key }, route: "/api/games", method: "GET", cache: "HIT", keyId: String(id) },
      { path: "/api/games", options: { key, body: sampleGame({ storeId: "4400001" }) }, route: "/api/games", method: "POST", cache: "", keyId: String(id) },
      { path: "/api/games/999999", options: { key, method: "DELETE" }, route: "/api/games/:id", method: "DELETE", cache: "", keyId: String(id) },
      { path: "/api/keys", options: {}, route: "/api/keys", method: "GET", cache: "", keyId: "admin" },
      { path: "/api/games", options: { key: "gdb_not-a-key", ip: randomIp() }, route: "/api/*", method: "GET", cache: "", keyId: "none" },
      { path: "/health", options: { key: null }, route: "/health", method: "GET", cache: "", keyId: "none" },
    ];
    for (const c of cases) {
      metricsLog.clear();
      const res = await callDrained(c.path, c.options);
      await res.arrayBuffer();
      const points = requestPoints();
      expect(points, `${c.method} ${c.path} → ${res.status}`).toHaveLength(1);
      const [point] = points;
      expect(point).toEqual({
        indexes: [c.keyId],
        blobs: ["request", c.route, c.method, c.cache, `${String(res.status)[0]}xx`],
        doubles: [expect.any(Number), res.status],
      });
      expect(point!.doubles![0]).toBeGreaterThanOrEqual(0);
    }
  });

  it("names neither the key, nor its hash, nor the path's ids and search terms", async () => {
    const { key } = await createKey(["games:read"], "private");
    const hash = await sha256Hex(key);
    metricsLog.clear();
    await callDrained("/api/games/424242", { key });
    await callDrained("/api/games/search?name=secret-term", { key });
    await callDrained("/api/games", { key: null, headers: { "X-API-Key": key } });
    await callDrained("/api/games", { key: "gdb_" + key.slice(4).split("").reverse().join(""), ip: randomIp() });
    const written = JSON.stringify(metricsLog.points);
    expect(requestPoints()).toHaveLength(4);
    for (const secret of [key, key.slice(0, 12), hash, env.ADMIN_API_KEY, "424242", "secret-term"]) expect(written).not.toContain(secret);
    expect(requestPoints().map((p) => p.blobs?.[1])).toEqual(["/api/games/:id", "/api/games/search", "/api/games", "/api/*"]);
  });

  it("is written for a request no route matched", async () => {
    const res = await callDrained("/api/nope");
    expect(res.status).toBe(404);
    expect(requestPoints()).toEqual([expect.objectContaining({ blobs: ["request", expect.any(String), "GET", "", "4xx"], doubles: [expect.any(Number), 404] })]);
  });
});

describe("a metrics sink that fails", () => {
  it("loses the point, never the response: reads, writes and health answer as before, with one warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { key } = await createKey(["games:read", "games:write"], "unmeasured");
    metricsLog.clear();
    metricsLog.failWith = new Error("Analytics Engine is down");
    const list = await callDrained("/api/games?limit=3", { key });
    expect(list.status).toBe(200);
    expect(Array.isArray(await list.json())).toBe(true);
    const created = await callDrained("/api/games", { key, body: sampleGame({ storeId: "4400002" }) });
    expect(created.status).toBe(201);
    expect((await created.json()) as { storeId: string }).toMatchObject({ storeId: "4400002" });
    expect((await callDrained("/health", { key: null })).status).toBe(200);
    expect(metricsLog.points).toEqual([]);
    const dropped = warn.mock.calls.map((args) => JSON.parse(String(args[0]))).filter((l) => l.msg === "metric dropped: the metrics sink refused it");
    // The first refusal of this isolate is logged; the next 999 are only counted.
    expect(dropped).toEqual([expect.objectContaining({ level: "warn", metric: "request", failures: 1, error: "Error: Analytics Engine is down" })]);
  });
});
