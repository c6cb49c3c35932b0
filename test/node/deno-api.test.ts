// The API contract (test/contract/) against the Deno server over real HTTP: the same cases
// test/contract/workers-api.test.ts runs in workerd. One Deno process with its own SQLite file and
// Deno KV; the contract suite's client addresses arrive in CF-Connecting-IP (CLIENT_IP_HEADER).
// Rate limits: 100000 per key and per IP per 60 s, like the workers project (the suite sends a
// few hundred requests with the one admin key); the small-limit checks are in deno.test.ts.
import { afterAll, beforeAll, vi } from "vitest";
import { startDenoServer, TEST_ADMIN_KEY, type DenoServer } from "../contract/deno-server";
import { apiContract, type ContractTarget } from "../contract/index";

// Real processes on a machine that may be busy: starting Deno (first run: compiling) and waiting
// on the rate-limit clock or the queue take longer than vitest's defaults allow.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let server: DenoServer | undefined;
const target: ContractTarget = {
  runtime: "deno",
  origin: "http://127.0.0.1:0",
  adminKey: TEST_ADMIN_KEY,
  fetch: (request) => fetch(request),
};

beforeAll(async () => {
  server = await startDenoServer();
  target.origin = server.origin;
});

afterAll(async () => {
  await server?.stop();
});

apiContract(target);
