/**
 * Runs in the `workers-rate-limits` vitest project: 5 requests per key and 3 per client IP
 * per 60 s window. The limiter's counters are shared by every test file of the run, so each
 * test uses keys and client IPs of its own, and keys are inserted straight into D1 rather than
 * created with the bootstrap admin key (which has a budget of 5 here, too).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../helpers/api";
import { countRows, ensureWindowRoom, insertKey } from "../helpers/checks";
import { dataVersionState } from "../helpers/games";
import { type CallOptions, randomIp, sampleGame } from "../support/client";
import { expectProblem } from "../support/problem";

const PER_KEY = 5;
const PER_IP = 3;
const WINDOW = 60;

interface Quota {
  policy: string;
  remaining: number;
  reset: number;
}

/** Parses `"per-key";r=3;t=42` (draft-ietf-httpapi-ratelimit-headers, structured field). */
function quota(res: Response): Quota {
  const header = res.headers.get("RateLimit");
  const match = header?.match(/^"([a-z-]+)";r=(\d+);t=(\d+)$/);
  if (!match) throw new Error(`RateLimit header not in the draft form: ${header}`);
  return { policy: match[1]!, remaining: Number(match[2]), reset: Number(match[3]) };
}

function expectPolicy(res: Response, policy: string, limit: number) {
  expect(res.headers.get("RateLimit-Policy")).toBe(`"${policy}";q=${limit};w=${WINDOW}`);
}

async function expectRateLimited(res: Response, policy: string, limit: number) {
  const retryAfter = res.headers.get("Retry-After");
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  expect(Number(retryAfter)).toBeLessThanOrEqual(WINDOW);
  expectPolicy(res, policy, limit);
  expect(quota(res)).toEqual({ policy, remaining: 0, reset: Number(retryAfter) });
  expect(res.headers.get("X-Request-Id")).toBeTruthy();
  await expectProblem(res, 429, "rate-limited");
}

/** Each test gets a client IP of its own; a new key's first use costs one per-IP lookup. */
const ipCall = (ip: string) => (path: string, options: CallOptions = {}) => call(path, { ip, ...options });

describe("per API key", () => {
  it(`allows ${PER_KEY} requests per window, counting down r, then answers 429 with Retry-After`, async () => {
    await ensureWindowRoom(WINDOW, 5);
    const { key } = await insertKey(["games:read"]);
    const send = ipCall(randomIp());

    const remaining: number[] = [];
    for (let i = 0; i < PER_KEY; i++) {
      const res = await send("/api/games", { key });
      expect(res.status, await res.clone().text()).toBe(200);
      expectPolicy(res, "per-key", PER_KEY);
      const q = quota(res);
      expect(q.policy).toBe("per-key");
      expect(q.reset).toBeGreaterThanOrEqual(1);
      expect(q.reset).toBeLessThanOrEqual(WINDOW);
      remaining.push(q.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    await expectRateLimited(await send("/api/games", { key }), "per-key", PER_KEY);
    // Still limited: a refused request does not reopen the window.
    await expectRateLimited(await send("/api/games/1", { key }), "per-key", PER_KEY);
  });

  it("limits one key without affecting another", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const a = await insertKey(["games:read"], "a");
    const b = await insertKey(["games:read"], "b");
    const send = ipCall(randomIp());
    for (let i = 0; i < PER_KEY; i++) expect((await send("/api/games", { key: a.key })).status).toBe(200);
    await expectRateLimited(await send("/api/games", { key: a.key }), "per-key", PER_KEY);

    const res = await send("/api/games", { key: b.key });
    expect(res.status).toBe(200);
    expect(quota(res).remaining).toBe(PER_KEY - 1);
  });

  it("counts a key's requests whatever route or scope outcome (a 403 spends quota too)", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const { key } = await insertKey(["games:read"]);
    const send = ipCall(randomIp());
    const statuses = [];
    for (let i = 0; i < PER_KEY; i++) {
      const res = await send(i % 2 ? "/api/keys" : "/api/games/search?name=x", { key });
      statuses.push(res.status);
      expect(quota(res).remaining).toBe(PER_KEY - 1 - i);
    }
    expect(statuses).toEqual([200, 403, 200, 403, 200]);
    await expectRateLimited(await send("/api/games", { key }), "per-key", PER_KEY);
  });

  it("refuses a rate-limited write without changing any data", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const { key } = await insertKey(["games:read", "games:write"]);
    const send = ipCall(randomIp());
    for (let i = 0; i < PER_KEY; i++) expect((await send("/api/games", { key })).status).toBe(200);

    const games = await countRows("games");
    const version = await dataVersionState();
    await expectRateLimited(await send("/api/games", { key, body: sampleGame({ storeId: "5550001" }) }), "per-key", PER_KEY);
    await expectRateLimited(await send("/api/games/1", { key, method: "DELETE" }), "per-key", PER_KEY);
    expect(await countRows("games")).toBe(games);
    expect(await env.DB.prepare("SELECT id FROM games WHERE store_id = '5550001'").first()).toBeNull();
    expect(await dataVersionState()).toEqual(version);
  });
});

describe("per client IP", () => {
  it.each(["/health", "/openapi.json", "/docs"])(
    `limits %s to ${PER_IP} requests per IP with the "per-ip" policy`,
    async (path) => {
      await ensureWindowRoom(WINDOW, 5);
      const send = ipCall(randomIp());
      const remaining: number[] = [];
      for (let i = 0; i < PER_IP; i++) {
        const res = await send(path, { key: null });
        expect(res.status).toBe(200);
        expectPolicy(res, "per-ip", PER_IP);
        remaining.push(quota(res).remaining);
      }
      expect(remaining).toEqual([2, 1, 0]);
      await expectRateLimited(await send(path, { key: null }), "per-ip", PER_IP);
    },
  );

  it(`limits POST /api/ingest/sns (public: signed by SNS, not a key) to ${PER_IP} requests per IP, refused messages included`, async () => {
    await ensureWindowRoom(WINDOW, 5);
    const send = ipCall(randomIp());
    // This project lists no SNS topic, so every message is refused — after it was counted.
    const message = { Type: "Notification", MessageId: "m", TopicArn: "arn:aws:sns:eu-test-1:123456789012:t", Message: "{}", Timestamp: new Date().toISOString(), SignatureVersion: "2", Signature: "c2ln", SigningCertURL: "https://sns.eu-test-1.amazonaws.com/c.pem" };
    const post = () => send("/api/ingest/sns", { key: null, rawBody: JSON.stringify(message), contentType: "text/plain; charset=UTF-8" });
    const remaining: number[] = [];
    for (let i = 0; i < PER_IP; i++) {
      const res = await post();
      await expectProblem(res.clone(), 403, "sns-topic-not-allowed");
      expectPolicy(res, "per-ip", PER_IP);
      remaining.push(quota(res).remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);
    await expectRateLimited(await post(), "per-ip", PER_IP);
  });

  it("shares one budget across the public routes and leaves other IPs alone", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const send = ipCall(randomIp());
    expect((await send("/health", { key: null })).status).toBe(200);
    expect((await send("/openapi.json", { key: null })).status).toBe(200);
    expect((await send("/docs", { key: null })).status).toBe(200);
    await expectRateLimited(await send("/health", { key: null }), "per-ip", PER_IP);

    const other = await ipCall(randomIp())("/health", { key: null });
    expect(other.status).toBe(200);
    expect(quota(other)).toMatchObject({ policy: "per-ip", remaining: PER_IP - 1 });
  });

  it("counts /api requests with a missing or malformed key against the client IP", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const send = ipCall(randomIp());
    const first = await send("/api/games", { key: null });
    expect(first.status).toBe(401);
    expectPolicy(first, "per-ip", PER_IP);
    expect(quota(first).remaining).toBe(2);
    expect((await send("/api/games", { key: "not-a-key" })).status).toBe(401);
    expect((await send("/api/keys", { key: null, headers: { Authorization: "Basic eDp5" } })).status).toBe(401);

    await expectRateLimited(await send("/api/games", { key: null }), "per-ip", PER_IP);
    await expectRateLimited(await send("/api/games", { key: "gdb_garbage" }), "per-ip", PER_IP);
    // The same budget as the public routes.
    await expectRateLimited(await send("/health", { key: null }), "per-ip", PER_IP);
  });

  it("counts lookups of unknown keys against the client IP, so keys cannot be guessed at D1's expense", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const send = ipCall(randomIp());
    const { generateApiKey } = await import("../../src/core/domain/key-format");
    for (let i = 0; i < PER_IP; i++) expect((await send("/api/games", { key: generateApiKey() })).status).toBe(401);
    await expectRateLimited(await send("/api/games", { key: generateApiKey() }), "per-ip", PER_IP);
  });

  it("does not count requests with a valid key against the client IP once the key is known", async () => {
    await ensureWindowRoom(WINDOW, 5);
    const { key } = await insertKey(["games:read"]);
    const send = ipCall(randomIp());
    // The first use looks the key up in D1 (one per-IP request); later ones hit the cache.
    for (let i = 0; i < PER_KEY; i++) expect((await send("/api/games", { key })).status).toBe(200);
    const health = await send("/health", { key: null });
    expect(health.status).toBe(200);
    expect(quota(health)).toMatchObject({ policy: "per-ip", remaining: PER_IP - 2 });
  });
});
