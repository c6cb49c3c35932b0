import { expect } from "vitest";
import type { Problem } from "../../clients/typescript/src/index";

/** An RFC 9457 problem as the API renders it (src/core/http/problem.ts), as the OpenAPI document types it. */
export type { Problem };

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
