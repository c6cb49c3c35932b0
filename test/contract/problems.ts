import { describe, expect, it } from "vitest";
import { PROBLEM_CODES, PROBLEMS, problemType } from "../../src/core/errors";
import { type ContractTarget, uniqueTag } from "./target";
import { apiClient, randomIp, sampleGame } from "../support/client";
import { expectProblem } from "../support/problem";

/** The one inline <style> of a page and the CSP hash that must allow exactly it. */
async function styleHash(page: string): Promise<string> {
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
  expect(style).toBeDefined();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The error catalogue: every problem `type` resolves, against the URL that answered, to a page. */
export function problemsContract(target: ContractTarget) {
  const { call, createKey, createGame } = apiClient(target);
  const page = (path: string, headers: Record<string, string> = {}) => call(path, { key: null, ip: randomIp(), headers });

  describe(`[${target.runtime}] the error catalogue (/problems)`, () => {
    it("resolves the type of every problem the API answered with to its page: title, status, what it means and what to do", async () => {
      const { key: reader } = await createKey(["games:read"], "catalogue-reader");
      const game = await createGame(sampleGame({ name: `Catalogue ${uniqueTag()}` }));
      const answered = [
        { res: await call("/api/games?limt=1"), status: 400 },
        { res: await call("/api/games", { rawBody: "{", contentType: "application/json" }), status: 400 },
        { res: await call("/api/games", { key: "gdb_unknown", ip: randomIp() }), status: 401 },
        { res: await call("/api/keys", { key: reader }), status: 403 },
        { res: await call("/api/games/999999999"), status: 404 },
        { res: await call("/api/games", { method: "PATCH" }), status: 405 },
        { res: await call("/api/games", { body: sampleGame({ platform: game.platform, storeId: game.storeId }) }), status: 409 },
        { res: await call(`/api/games/${game.id}`, { method: "PATCH", body: { rank: 2 }, headers: { "If-Match": '"stale"' } }), status: 412 },
        { res: await call("/api/games", { rawBody: "x".repeat(70_000), contentType: "application/json" }), status: 413 },
        { res: await call("/api/games", { rawBody: "{}", contentType: "text/plain" }), status: 415 },
      ];
      const seen = new Set<string>();
      for (const { res, status } of answered) {
        const requestUrl = res.url || target.origin;
        const problem = await expectProblem(res, status);
        // RFC 9457 §3.1.1: a relative type is resolved against the response's base URI.
        const resolved = new URL(problem.type, requestUrl);
        expect(resolved.origin).toBe(new URL(requestUrl).origin);
        const doc = await page(resolved.pathname);
        const text = await doc.text();
        expect(doc.status, problem.type).toBe(200);
        expect(doc.headers.get("Content-Type")).toMatch(/^text\/html; charset=UTF-8/i);
        const code = resolved.pathname.slice("/problems/".length) as keyof typeof PROBLEMS;
        expect(text).toContain(`<h1>${PROBLEMS[code].title}</h1>`);
        expect(text).toContain(`<dd>${status}</dd>`);
        expect(text).toMatch(/<h2>What it means<\/h2>\s*<p>[^<]{20,}/);
        expect(text).toMatch(/<h2>What to do<\/h2>\s*<p>[^<]{20,}/);
        seen.add(code);
      }
      expect(seen.size).toBe(answered.length);
    });

    it("lists every problem type of the registry at /problems, each linked to a page that answers 200", async () => {
      const res = await page("/problems");
      expect(res.status).toBe(200);
      const text = await res.text();
      const links = [...text.matchAll(/<a href="(\/problems\/[^"]+)">/g)].map((m) => m[1]);
      expect(links).toEqual(PROBLEM_CODES.map(problemType));
      for (const link of links) {
        const doc = await page(link!);
        expect(doc.status, link).toBe(200);
        await doc.body?.cancel();
      }
    });

    it("an unknown code is a 404 problem that does not repeat it, whatever it looks like", async () => {
      for (const code of ["nope", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "__proto__", "constructor", "toString", "VALIDATION"]) {
        const res = await page(`/problems/${code}`);
        const { instance, ...problem } = await expectProblem(res, 404, "not-found");
        expect(problem.detail).toBe("No such problem type; /problems lists them all");
        expect(JSON.stringify(problem)).not.toMatch(/script|alert|proto|constructor|toString|VALIDATION/);
        // `instance` is the request's path as every problem gives it: percent-encoded, in JSON.
        expect(instance).toBe(`/problems/${code}`);
      }
    });

    it("reflects nothing from the request, runs no script, may not be framed, and is cached (ETag, 304)", async () => {
      const res = await page(`/problems/validation?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E`, { "X-Anything": "<script>" });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toMatch(/<script|alert\(/);
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain(`style-src 'sha256-${await styleHash(text)}'`);
      expect(res.headers.get("Cache-Control")).toBe("public, max-age=3600");
      const tag = res.headers.get("ETag");
      expect(tag).toMatch(/^"[^"]+"$/);
      const again = await page("/problems/validation", { "If-None-Match": tag! });
      expect(again.status).toBe(304);
      expect(again.headers.get("ETag")).toBe(tag);
      expect(await again.text()).toBe("");
      const other = await page("/problems/conflict");
      expect(other.headers.get("ETag")).not.toBe(tag);
      await other.body?.cancel();
    });
  });
}
