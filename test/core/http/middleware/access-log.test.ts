/**
 * The access log is an info line; the test configuration runs the Worker at LOG_LEVEL=warn.
 * These tests therefore call the real Worker entry (src/platform/cloudflare/index.ts) with the
 * same bindings plus LOG_LEVEL=info (`callDrained` with `env: INFO`), and spy on the console,
 * which the Worker shares with the tests (checked first, through SELF).
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { sha256Hex } from "../../../../src/core/digest";
import { call, callDrained, createKey } from "../../../helpers/api";
import { withTableHidden } from "../../../helpers/checks";
import { randomIp, sampleGame } from "../../../support/client";
import { UUID } from "../../../support/patterns";

const INFO = { ...env, LOG_LEVEL: "info" } as Env;
const METHODS = ["log", "info", "warn", "error", "debug"] as const;

let spies: MockInstance[] = [];

beforeEach(() => {
  spies = METHODS.map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
});
afterEach(() => vi.restoreAllMocks());

/** Everything written to the console since the test started, one entry per call. */
const output = (): string[] => spies.flatMap((s) => s.mock.calls.map((args) => args.map(String).join(" ")));

/** The console output that parses as one JSON object per line. */
function jsonLines(): Record<string, unknown>[] {
  return output().flatMap((line) => {
    try {
      const value = JSON.parse(line);
      return value && typeof value === "object" ? [value] : [];
    } catch {
      return [];
    }
  });
}

const accessLines = (requestId: string | null) =>
  jsonLines().filter((l) => l.msg === "request" && l.requestId === requestId);

describe("console spying", () => {
  it("sees what the Worker logs when called through SELF (same isolate)", async () => {
    const res = await withTableHidden("games", () => call("/api/games?limit=11"));
    expect(res.status).toBe(500);
    const requestId = res.headers.get("X-Request-Id");
    const errors = spies[METHODS.indexOf("error")]!.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(errors).toContainEqual(expect.objectContaining({ level: "error", msg: "request failed", requestId }));
  });

  it("sees no access line at the test configuration's LOG_LEVEL=warn", async () => {
    const res = await call("/api/games?limit=12");
    expect(res.status).toBe(200);
    expect(accessLines(res.headers.get("X-Request-Id"))).toEqual([]);
  });
});

describe("the access log", () => {
  it("writes exactly one JSON line per request with id, method, route, status, duration, key id and cache", async () => {
    const { id, key } = await createKey(["games:read", "games:write"], "logged");
    const cases = [
      { path: "/api/games?limit=2", options: { key }, route: "/api/games", keyId: id, cache: "MISS" },
      // A miss is stored when it repeats: the second read is a MISS again, the third a HIT.
      { path: "/api/games?limit=2", options: { key }, route: "/api/games", keyId: id, cache: "MISS" },
      { path: "/api/games?limit=2", options: { key }, route: "/api/games", keyId: id, cache: "HIT" },
      { path: "/api/games", options: { key, body: sampleGame({ storeId: "3300001" }) }, route: "/api/games", keyId: id, cache: null },
      { path: "/api/games/999999", options: { key, method: "DELETE" }, route: "/api/games/:id", keyId: id, cache: null },
      { path: "/api/keys", options: {}, route: "/api/keys", keyId: "admin", cache: null },
      { path: "/api/games", options: { key: null }, route: expect.any(String), keyId: null, cache: null },
      { path: "/health", options: { key: null }, route: "/health", keyId: null, cache: null },
    ];
    for (const c of cases) {
      const res = await callDrained(c.path, { env: INFO, ...c.options });
      const requestId = res.headers.get("X-Request-Id");
      const lines = accessLines(requestId);
      expect(lines, `${c.path} → ${res.status}`).toHaveLength(1);
      const line = lines[0]!;
      expect(line).toMatchObject({
        level: "info",
        requestId: expect.stringMatching(UUID),
        method: c.options.method ?? ("body" in c.options ? "POST" : "GET"),
        route: c.route,
        status: res.status,
        keyId: c.keyId,
        cache: c.cache,
      });
      expect(typeof line.durationMs).toBe("number");
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
      expect(typeof line.time).toBe("string");
    }
  });

  it("logs failures too: one access line with the status, and one error line with the same request id", async () => {
    const res = await withTableHidden("games", () => callDrained("/api/games?limit=13", { env: INFO }));
    expect(res.status).toBe(500);
    const requestId = res.headers.get("X-Request-Id");
    expect(accessLines(requestId)).toEqual([expect.objectContaining({ status: 500, keyId: "admin", route: "/api/games" })]);
    const errors = jsonLines().filter((l) => l.level === "error" && l.requestId === requestId);
    expect(errors).toEqual([expect.objectContaining({ msg: "request failed", route: "/api/games", error: expect.any(String) })]);
  });

  it("names a failed query in one short line, without its bound parameters", async () => {
    // A key lookup that fails: drizzle's error message carries the SQL and, on a second line,
    // every bound parameter (here the key's hash).
    const { key } = await createKey(["games:read"], "lookup");
    const res = await withTableHidden("api_keys", () => callDrained("/api/games", { env: INFO, key, ip: randomIp() }));
    expect(res.status).toBe(500);
    const errors = jsonLines().filter((l) => l.level === "error" && l.requestId === res.headers.get("X-Request-Id"));
    expect(errors).toHaveLength(1);
    const error = String(errors[0]!.error);
    expect(error).toMatch(/api_keys/);
    expect(error).not.toMatch(/\n|params/);
    expect(error.length).toBeLessThanOrEqual(320);
  });

  it("logs a rejected request (401, 404, 405, 413) once each", async () => {
    const requests = [
      () => callDrained("/api/games", { env: INFO, key: "gdb_bad", ip: randomIp() }),
      () => callDrained("/api/nope", { env: INFO }),
      () => callDrained("/api/games", { env: INFO, method: "PATCH" }),
      () => callDrained("/api/games", { env: INFO, body: { name: "x".repeat(70_000) } }),
    ];
    for (const send of requests) {
      const res = await send();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(accessLines(res.headers.get("X-Request-Id"))).toEqual([expect.objectContaining({ status: res.status })]);
    }
  });

  it("never contains an API key or its hash, wherever the key was sent or whatever happened", async () => {
    const { key } = await createKey(["games:read"], "secret-holder");
    const hash = await sha256Hex(key);
    const adminHash = await sha256Hex(env.ADMIN_API_KEY);
    const unknown = "gdb_" + key.slice(4).split("").reverse().join("");

    await callDrained("/api/games", { env: INFO, key });
    await callDrained(`/api/games?api_key=${key}`, { env: INFO, key: null, headers: { "X-API-Key": key } });
    await callDrained("/api/keys", { env: INFO, key }); // 403
    await callDrained("/api/games", { env: INFO, key: unknown, ip: randomIp() }); // 401
    await callDrained("/api/games/search", { env: INFO, key, body: { name: key } });
    await callDrained("/api/keys", { env: INFO, body: { name: key, scopes: ["games:read"] } });
    // A failing key lookup, whose query had the hash as a bound parameter.
    const fresh = await createKey(["games:read"], "fresh");
    const freshHash = await sha256Hex(fresh.key);
    const failed = await withTableHidden("api_keys", () => callDrained("/api/games", { env: INFO, key: fresh.key, ip: randomIp() }));
    expect(failed.status).toBe(500);

    const all = output().join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(accessLines(failed.headers.get("X-Request-Id"))).toHaveLength(1);
    for (const secret of [key, hash, unknown, fresh.key, freshHash, env.ADMIN_API_KEY, adminHash]) {
      expect(all).not.toContain(secret);
    }
  });
});
