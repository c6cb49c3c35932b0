// What only the Deno server has, or does differently from the Worker: exact rate-limit counters
// in Deno KV (also under concurrency and across a restart), client addresses from the socket,
// static files of public/ with the _headers rules, requests without a body, migrations tracked
// in SQLite, and refusing to start on a bad configuration. The shared HTTP contract is in
// deno-api.test.ts / deno-ingest.test.ts.
import net from "node:net";
import { DatabaseSync } from "node:sqlite";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { unstable_readConfig } from "wrangler";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { API_FIRST, headersFor, isApiFirst, parseHeadersFile } from "../../src/platform/deno/asset-routing";
import { parseDenoSettings } from "../../src/platform/deno/settings";
import { ROOT, runDenoToExit, startDenoServer, TEST_ADMIN_KEY, type DenoServer } from "../contract/deno-server";
import { sha256Hex } from "../../src/core/digest";
import { displayPrefix, generateApiKey } from "../../src/core/domain/key-format";
import { waitFor } from "../support/wait";

// Real processes on a machine that may be busy: starting Deno (first run: compiling) and waiting
// on the rate-limit clock or the queue take longer than vitest's defaults allow.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const PER_KEY = 5;
/** Roomy enough for the per-IP lookups of new keys; the per-IP test reads what is left from `r`. */
const PER_IP = 50;
const WINDOW = 60;

function quota(res: Response) {
  const match = res.headers.get("RateLimit")?.match(/^"([a-z-]+)";r=(\d+);t=(\d+)$/);
  if (!match) throw new Error(`RateLimit header: ${res.headers.get("RateLimit")}`);
  return { policy: match[1]!, remaining: Number(match[2]), reset: Number(match[3]) };
}

/** Waits (on the clock, no fixed sleep) until the current rate-limit window has `seconds` left. */
async function ensureWindowRoom(seconds: number) {
  const left = () => WINDOW - ((Date.now() / 1000) % WINDOW);
  await waitFor(async () => left(), (l) => l >= seconds, { timeoutMs: (seconds + 2) * 1000, intervalMs: 50, what: "the next rate-limit window" });
}

/** One HTTP/1.1 request written by hand: no Content-Length, no Transfer-Encoding, like `curl -X POST`. */
function rawRequest(port: number, head: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("end", () => resolve({ status: Number(data.match(/^HTTP\/1\.1 (\d+)/)?.[1]), text: data }));
    socket.on("error", reject);
  });
}

describe("static files like Workers assets", () => {
  it("the API-first paths are wrangler.toml's [assets] run_worker_first", () => {
    const config = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }, { hideWarnings: true }) as unknown as {
      assets?: { run_worker_first?: string[] | boolean };
    };
    expect([...API_FIRST]).toEqual(config.assets?.run_worker_first);
    expect(isApiFirst("/api/games")).toBe(true);
    expect(isApiFirst("/docs")).toBe(true);
    expect(isApiFirst("/docs/x")).toBe(false);
    expect(isApiFirst("/")).toBe(false);
  });

  it("_headers rules: patterns, placeholders, merged values and detached headers", () => {
    const rules = parseHeadersFile(
      ["# comment", "/*", "  X-Frame-Options: DENY", "  Link: </a.css>; rel=preload", "/app/:file", "  Link: </b.js>; rel=preload", "/app/open", "  ! X-Frame-Options"].join("\n"),
    );
    expect(Object.fromEntries(headersFor(rules, "/"))).toEqual({ "x-frame-options": "DENY", link: "</a.css>; rel=preload" });
    expect(Object.fromEntries(headersFor(rules, "/app/x.js"))).toEqual({ "x-frame-options": "DENY", link: "</a.css>; rel=preload, </b.js>; rel=preload" });
    expect(headersFor(rules, "/app/open").has("x-frame-options")).toBe(false);
    expect(headersFor(rules, "/app/a/b").get("link")).toBe("</a.css>; rel=preload");
  });
});

describe("the Deno server", () => {
  let server: DenoServer;
  let dir = "";
  const url = (p: string) => `${server.origin}${p}`;
  const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  /**
   * Inserts a key straight into the server's SQLite file, stored as the keys service stores it,
   * so tests do not spend the admin key's budget of PER_KEY requests.
   */
  const createKey = async (name: string) => {
    const key = generateApiKey();
    const sqlite = new DatabaseSync(server.databasePath);
    sqlite.exec("PRAGMA busy_timeout = 5000");
    sqlite
      .prepare("INSERT INTO api_keys (name, prefix, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(name, displayPrefix(key), await sha256Hex(key), JSON.stringify(["games:read", "games:write"]), new Date().toISOString());
    sqlite.close();
    return key;
  };

  beforeAll(async () => {
    // Small limits, so 429s come in a few requests; client addresses from the socket (no header).
    dir = await mkdtemp(path.join(os.tmpdir(), "game-db-deno-"));
    server = await startDenoServer({ RATE_LIMIT_KEY_LIMIT: String(PER_KEY), RATE_LIMIT_ANON_LIMIT: String(PER_IP), CLIENT_IP_HEADER: "", LOG_LEVEL: "info" }, { dir });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("counts exactly per key: r goes 4…0, then 429 with Retry-After equal to t", async () => {
    await ensureWindowRoom(5);
    const key = await createKey("exact");
    const seen: number[] = [];
    for (let i = 0; i < PER_KEY; i++) {
      const res = await fetch(url("/api/games?limit=1"), { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit-Policy")).toBe(`"per-key";q=${PER_KEY};w=${WINDOW}`);
      seen.push(quota(res).remaining);
    }
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    const refused = await fetch(url("/api/games?limit=1"), { headers: { Authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(429);
    const q = quota(refused);
    expect(q.remaining).toBe(0);
    expect(refused.headers.get("Retry-After")).toBe(String(q.reset));
    expect(q.reset).toBeGreaterThanOrEqual(1);
    expect(q.reset).toBeLessThanOrEqual(WINDOW);
    // The window is the wall clock's: it ends when t says.
    expect(Math.abs(q.reset - (WINDOW - ((Date.now() / 1000) % WINDOW)))).toBeLessThanOrEqual(1.5);
  });

  it("stays exact under concurrency: of 20 simultaneous requests exactly the limit pass, each with its own r", async () => {
    await ensureWindowRoom(5);
    const key = await createKey("concurrent");
    const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(url("/api/games?limit=1"), { headers: { Authorization: `Bearer ${key}` } })));
    const allowed = responses.filter((r) => r.status === 200);
    expect(allowed).toHaveLength(PER_KEY);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(20 - PER_KEY);
    expect(allowed.map((r) => quota(r).remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(responses.map((r) => r.body?.cancel()));
  });

  it("serves public/ like Workers assets: index, vendored files, _headers rules, never the config files", async () => {
    const index = await fetch(url("/"));
    expect(index.status).toBe(200);
    expect(index.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(index.headers.get("Cache-Control")).toBe("public, max-age=0, must-revalidate");
    expect(await index.text()).toContain("<title>Game DB</title>");
    const headersFile = await readFile(path.join(ROOT, "public/_headers"), "utf8").catch(() => null);
    if (headersFile !== null) {
      for (const [name, value] of headersFor(parseHeadersFile(headersFile), "/")) expect(index.headers.get(name)).toBe(value);
      await fetch(url("/_headers")).then(async (res) => {
        expect(res.status).toBe(404);
        expect(res.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
        await res.body?.cancel();
      });
    }
    const vendored = (await readdir(path.join(ROOT, "public/vendor/swagger-ui"))).filter((f) => f.endsWith(".js"));
    expect(vendored.length).toBeGreaterThan(0);
    for (const file of vendored) {
      const res = await fetch(url(`/vendor/swagger-ui/${file}`));
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/javascript/);
      await res.body?.cancel();
    }
    const head = await fetch(url("/"), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    // The API comes first on its paths, file or not.
    const api = await fetch(url("/api/games"), { headers: admin });
    expect(api.status).toBe(200);
    expect(api.headers.get("Content-Type")).toMatch(/^application\/json/);
    await api.body?.cancel();
  });

  it("reads a POST without Content-Length or Transfer-Encoding as having no body (as Workers does)", async () => {
    const res = await rawRequest(server.port, `POST /api/games/search?limit=1 HTTP/1.1\r\nAuthorization: Bearer ${TEST_ADMIN_KEY}`);
    expect(res.status, res.text).toBe(200);
  });

  it("keeps data, rate-limit counters and applied migrations across a restart", async () => {
    await ensureWindowRoom(10);
    const key = await createKey("restart");
    const create = await fetch(url("/api/games"), {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Survivor", platform: "ios", storeId: "123456789" }),
    });
    expect(create.status).toBe(201);
    expect(quota(create).remaining).toBe(PER_KEY - 1);
    const { id } = (await create.json()) as { id: number };
    expect(server.output.join("\n")).toMatch(/"msg":"database ready".*"migrationsApplied":\["0000_init\.sql"/);

    await server.stop();
    expect(server.process.exitCode).toBe(0);
    const migrations = (await readdir(path.join(ROOT, "migrations"))).filter((f) => f.endsWith(".sql")).sort();
    const sqlite = new DatabaseSync(path.join(dir, "game-db.sqlite"));
    expect((sqlite.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[]).map((r) => r.name)).toEqual(migrations);
    sqlite.close();

    server = await startDenoServer({ RATE_LIMIT_KEY_LIMIT: String(PER_KEY), RATE_LIMIT_ANON_LIMIT: String(PER_IP), CLIENT_IP_HEADER: "", LOG_LEVEL: "info" }, { dir });
    expect(server.output.join("\n")).toMatch(/"msg":"database ready".*"migrationsApplied":\[\]/);
    const again = await fetch(url(`/api/games/${id}`), { headers: { Authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { name: string }).name).toBe("Survivor");
    // The counter lives in Deno KV, not in the process: the second request of the window.
    expect(quota(again).remaining).toBe(PER_KEY - 2);
  });

  it("refuses to start on an invalid configuration, naming the variable but never its value", async () => {
    const secret = "too-short-secret";
    const { code, output } = await runDenoToExit({ ENVIRONMENT: "test", ADMIN_API_KEY: secret, RATE_LIMIT_KEY_LIMIT: "5", RATE_LIMIT_ANON_LIMIT: "5", RATE_LIMIT_PERIOD_SECONDS: "60" });
    expect(code).toBe(1);
    expect(output).toContain('"msg":"invalid configuration"');
    expect(output).toContain("ADMIN_API_KEY");
    expect(output).toContain("S3_ENDPOINT");
    expect(output).not.toContain(secret);
  });

  it("limits public routes per socket address when no CLIENT_IP_HEADER is trusted, exactly to the r it announced", async () => {
    await ensureWindowRoom(5);
    // Another client's header is ignored: every request here counts against 127.0.0.1, which
    // earlier tests already used (new keys cost a per-IP lookup). `r` says how many are left.
    const first = await fetch(url("/health"), { headers: { "CF-Connecting-IP": "203.0.113.1" } });
    expect(first.status).toBe(200);
    await first.body?.cancel();
    const { remaining } = quota(first);
    expect(remaining).toBeLessThan(PER_IP - 1);
    const seen: number[] = [];
    for (let i = 0; i < remaining; i++) {
      const res = await fetch(url("/health"), { headers: { "CF-Connecting-IP": `203.0.113.${i + 2}` } });
      expect(res.status).toBe(200);
      seen.push(quota(res).remaining);
      await res.body?.cancel();
    }
    expect(seen).toEqual(Array.from({ length: remaining }, (_, i) => remaining - 1 - i));
    const refused = await fetch(url("/health"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("RateLimit-Policy")).toBe(`"per-ip";q=${PER_IP};w=${WINDOW}`);
    await refused.body?.cancel();
  });
});

describe("the client address behind a reverse proxy (CLIENT_IP_HEADER=X-Forwarded-For)", () => {
  let server: DenoServer;
  const LIMIT = 3;

  beforeAll(async () => {
    server = await startDenoServer({ RATE_LIMIT_ANON_LIMIT: String(LIMIT), CLIENT_IP_HEADER: "X-Forwarded-For" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("is the rightmost entry (added by the trusted proxy): a forged leftmost entry buys no new quota", async () => {
    await ensureWindowRoom(5);
    const health = (forwardedFor: string) => fetch(`${server.origin}/health`, { headers: { "X-Forwarded-For": forwardedFor } });
    const seen: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      // What nginx forwards when the client sent its own X-Forwarded-For: forged, then the real address.
      const res = await health(`198.51.100.${i + 1}, 203.0.113.50`);
      expect(res.status).toBe(200);
      seen.push(quota(res).remaining);
      await res.body?.cancel();
    }
    expect(seen).toEqual([2, 1, 0]);
    const refused = await health("192.0.2.99, 10.9.9.9, 203.0.113.50");
    expect(refused.status).toBe(429);
    await refused.body?.cancel();
    // Another client, behind the same proxy, has its own quota.
    const other = await health("198.51.100.1, 203.0.113.51");
    expect(other.status).toBe(200);
    expect(quota(other).remaining).toBe(LIMIT - 1);
    await other.body?.cancel();
  });

  it("TRUSTED_PROXY_COUNT says how many proxies append to the header (default 1)", () => {
    expect(parseDenoSettings({}).trustedProxies).toBe(1);
    expect(parseDenoSettings({ TRUSTED_PROXY_COUNT: "" }).trustedProxies).toBe(1);
    expect(parseDenoSettings({ TRUSTED_PROXY_COUNT: "2" }).trustedProxies).toBe(2);
    for (const bad of ["0", "-1", "1.5", "many"]) expect(() => parseDenoSettings({ TRUSTED_PROXY_COUNT: bad })).toThrow(/TRUSTED_PROXY_COUNT/);
  });
});

describe("metrics on Deno: one JSON line per data point (src/platform/deno/metrics.ts)", () => {
  let server: DenoServer;

  beforeAll(async () => {
    // LOG_LEVEL=warn (BASE_VARS): access lines are not written, data points are.
    server = await startDenoServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const metricLines = () =>
    server.output.flatMap((line) => {
      try {
        const value = JSON.parse(line) as Record<string, unknown>;
        return value.msg === "metric" ? [value] : [];
      } catch {
        return [];
      }
    });

  it("writes the request's point with its route pattern and key id, never the path or the key, at every log level", async () => {
    const requests = [
      fetch(`${server.origin}/api/games/4242`, { headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } }),
      fetch(`${server.origin}/health`),
    ];
    for (const res of await Promise.all(requests)) await res.body?.cancel();
    const lines = await waitFor(async () => metricLines(), (l) => l.length >= 2, { what: "two metric lines" });
    expect(lines).toEqual(
      expect.arrayContaining([
        {
          time: expect.any(String), level: "info", msg: "metric", environment: "test", runtime: "deno",
          metric: "request", route: "/api/games/:id", method: "GET", status: 404, cache: "MISS", durationMs: expect.any(Number), keyId: "admin",
        },
        expect.objectContaining({ metric: "request", route: "/health", status: 200, keyId: null }),
      ]),
    );
    const all = server.output.join("\n");
    expect(all).not.toContain("4242");
    expect(all).not.toContain(TEST_ADMIN_KEY);
    expect(all).not.toContain('"msg":"request"');
  });
});
