import { env, SELF } from "cloudflare:test";

export const ORIGIN = "http://game-db.test";

/** A client IP of its own per test file, so per-IP limits never leak between files. */
const fileIp = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer`; `null` sends no key. Defaults to the bootstrap admin key. */
  key?: string | null;
  body?: unknown;
  /** Raw body, sent as is (with `contentType` if given). */
  rawBody?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
  ip?: string;
  /** Scheme and host the request is addressed to; defaults to ORIGIN. */
  origin?: string;
}

/** One real HTTP request through the Worker's fetch handler. */
export function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? env.ADMIN_API_KEY : options.key;
  if (key !== null) headers.set("Authorization", `Bearer ${key}`);
  headers.set("CF-Connecting-IP", options.ip ?? fileIp);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("Content-Type", "application/json");
  }
  if (options.contentType) headers.set("Content-Type", options.contentType);
  return SELF.fetch(`${options.origin ?? ORIGIN}${path}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body });
}

/** Calls and parses JSON, failing loudly with the body when the status is not the expected one. */
export async function callJson<T = any>(path: string, expectedStatus: number, options: CallOptions = {}) {
  const res = await call(path, options);
  const text = await res.text();
  if (res.status !== expectedStatus) {
    throw new Error(`${options.method ?? "GET"} ${path}: expected ${expectedStatus}, got ${res.status}: ${text.slice(0, 500)}`);
  }
  return { res, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Creates an API key with the given scopes through the API and returns the secret. */
export async function createKey(scopes: string[], name = "test-key"): Promise<{ id: number; key: string }> {
  const { body } = await callJson<{ id: number; key: string }>("/api/keys", 201, { body: { name, scopes } });
  return body;
}

export const sampleGame = (overrides: Record<string, unknown> = {}) => ({
  publisherId: "1500945164",
  name: "Rocket League Sideswipe",
  platform: "ios",
  storeId: "1549027048",
  bundleId: "com.psyonixllc.mesa",
  appVersion: "1.0.3",
  isPublished: true,
  ...overrides,
});
