import { expect } from "vitest";

/** An RFC 9457 problem as the API renders it (src/core/http/problem.ts). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: { location: string; path: string; message: string; code: string }[];
  /** 403 only. */
  requiredScope?: string;
  grantedScopes?: string[];
  /** 429 from populate: the run the key started within the cooldown. */
  statusUrl?: string;
}

/**
 * Asserts an RFC 9457 problem response with every member the API promises, and returns it.
 * Runtime-neutral (vitest only), so the Workers tests and the cross-runtime contract share it.
 */
export async function expectProblem(res: Response, status: number, code?: string): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.stringMatching(/^\//),
      requestId: res.headers.get("X-Request-Id"),
    }),
  );
  expect(body.requestId).toBeTruthy();
  if (code) expect(body.type).toBe(`/problems/${code}`);
  return body;
}
