// Every response an HTTP test receives is checked against the OpenAPI document the server itself
// serves (GET /openapi.json): the status is documented for that operation, the Content-Type is
// one the document lists for it, the body matches its JSON Schema (JSON Schema 2020-12, which is
// OpenAPI 3.1's dialect, with Ajv and ajv-formats; $refs resolved inside the document), and every
// header the document marks `required` is there (and every documented header present matches
// its schema). A response the document does not describe fails the test that received it: the
// document is the contract teams generate clients from, so it must not lie.
//
// Runtime-neutral (the Workers tests in workerd, the Deno contract runner in Node): it only
// knows the target's `fetch`. test/support/client.ts sends every request through it.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

interface HeaderObject {
  required?: boolean;
  schema?: Record<string, unknown>;
}

interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema?: unknown }>;
}

interface OperationObject {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, unknown> };
}

/** What a response is checked against: the operation and the response object the document gives for it. */
export interface ResponseCheck {
  /** `METHOD /template` of the operation, or of the request when no operation matches. */
  label: string;
  /** What is wrong, one line each; empty when the response is as documented. */
  problems: string[];
}

/**
 * Requests the document does not describe on purpose: the document itself, its viewer, and the
 * development servers' cron trigger (`wrangler dev --test-scheduled`, and the Deno server's
 * equivalent, src/platform/deno/http.ts), which is no part of the API. Every other request either
 * matches an operation or gets one of the API's 4xx problems (checked too).
 */
const UNDOCUMENTED_PATHS = new Set(["/openapi.json", "/docs", "/__scheduled"]);

const DOCUMENT_ID = "https://game-db.invalid/openapi.json";

/** JSON Pointer escaping (RFC 6901) of one path segment. */
const pointer = (...segments: string[]) => segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

const mediaType = (contentType: string | null) => contentType?.split(";")[0]!.trim().toLowerCase() ?? null;

export function createResponseValidator(document: OpenApiDocument) {
  // Not strict: the document around the schemas (openapi, paths, responses…) and OpenAPI's own
  // annotations (`example`) are not JSON Schema keywords. Formats are validated (ajv-formats).
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  // The whole document under one id, so that a schema's `#/components/schemas/…` resolves in it.
  // Its non-schema parts are never compiled: validators are made for schema locations only.
  ajv.addSchema({ ...document, $id: DOCUMENT_ID }, undefined, undefined, false);

  const compiled = new Map<string, ValidateFunction>();
  function validatorAt(location: string): ValidateFunction {
    let validate = compiled.get(location);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${location}` });
      compiled.set(location, validate);
    }
    return validate;
  }

  // Literal segments outrank templated ones (`/api/games/search` before `/api/games/{id}`), as in routing.
  const templates = Object.keys(document.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{/g) ?? []).length,
      pattern: new RegExp(`^${template.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }))
    .sort((a, b) => a.params - b.params);

  function schemaProblems(location: string, value: unknown, what: string): string[] {
    const validate = validatorAt(location);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${what}${e.instancePath || ""} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""}`);
  }

  /**
   * A request outside the document gets a problem: 404, 405 with Allow (src/core/http/not-found.ts),
   * or, under /api, what the middleware in front of routing answers (401 without a key, 429, a
   * body refused); never a success or a 5xx.
   */
  function undocumentedRoute(method: string, path: string, status: number, headers: Headers, body: string): ResponseCheck {
    const label = `${method} ${path}`;
    const problems: string[] = [];
    if (status < 400 || status > 499) problems.push(`no operation in the document answers this, and ${status} is not a 4xx problem`);
    else if (!path.startsWith("/api/") && status !== 404 && status !== 405 && status !== 429) problems.push(`no operation in the document, and ${status} is not the API's 404, 405 or 429`);
    if (status === 405 && !headers.get("Allow")) problems.push("405 without Allow");
    if (mediaType(headers.get("Content-Type")) !== "application/problem+json") problems.push(`Content-Type ${headers.get("Content-Type")} is not application/problem+json`);
    else problems.push(...bodyProblems("/components/schemas/Problem", "application/problem+json", body, status));
    return { label, problems };
  }

  function bodyProblems(location: string, type: string, body: string, status: number): string[] {
    // A body that is not JSON (the error catalogue's HTML pages) is held to its schema as text.
    if (!/^application\/(?:[\w.-]+\+)?json$/.test(type)) return schemaProblems(location, body, "body");
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`the body is not JSON: ${body.slice(0, 100)}`];
    }
    const problems = schemaProblems(location, parsed, "body");
    // RFC 9457 §3.1.2: a problem's `status` is the response's.
    if (location.endsWith("/Problem") || location.includes("application~1problem+json")) {
      const stated = (parsed as { status?: unknown }).status;
      if (stated !== status) problems.push(`the problem says status ${String(stated)}, the response is ${status}`);
    }
    return problems;
  }

  function headerProblems(responseLocation: string, declared: Record<string, HeaderObject>, headers: Headers): string[] {
    const problems: string[] = [];
    for (const [name, header] of Object.entries(declared)) {
      const value = headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`the required header ${name} is missing`);
        continue;
      }
      if (!header.schema) continue;
      const type = header.schema.type;
      const typed = (type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      problems.push(...schemaProblems(`${responseLocation}/${pointer("headers", name, "schema")}`, typed, `header ${name}`));
    }
    return problems;
  }

  /** Checks one response, read to the end (`body` is its text, "" when it has none). */
  function check(method: string, url: string, status: number, headers: Headers, body: string): ResponseCheck {
    const path = new URL(url).pathname;
    if (UNDOCUMENTED_PATHS.has(path)) return { label: `${method} ${path}`, problems: [] };
    const match = templates.find((t) => t.pattern.test(path));
    // HEAD is answered by the GET route without a body (RFC 9110 §9.3.2).
    const documentedMethod = method === "HEAD" ? "get" : method.toLowerCase();
    const operation = match && document.paths[match.template]![documentedMethod];
    if (!match || !operation) return undocumentedRoute(method, path, status, headers, body);

    const label = `${method} ${match.template}${operation.operationId ? ` (${operation.operationId})` : ""}`;
    const key = operation.responses[String(status)] ? String(status) : operation.responses[`${String(status)[0]}XX`] ? `${String(status)[0]}XX` : operation.responses.default ? "default" : undefined;
    if (!key) return { label, problems: [`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(", ")})`] };

    const response = operation.responses[key]!;
    const location = `/${pointer("paths", match.template, documentedMethod, "responses", key)}`;
    const problems = headerProblems(location, response.headers ?? {}, headers);
    const type = mediaType(headers.get("Content-Type"));
    const hasBody = body.length > 0;
    if (method === "HEAD" || status === 304) {
      if (hasBody) problems.push(`a ${method === "HEAD" ? "HEAD" : "304"} response with a body`);
    } else if (!response.content) {
      if (hasBody) problems.push(`a body (${type}) where the document describes none`);
    } else if (!type || !response.content[type]) {
      problems.push(`Content-Type ${headers.get("Content-Type")} is not documented (documented: ${Object.keys(response.content).join(", ")})`);
    } else if (response.content[type]!.schema) {
      problems.push(...bodyProblems(`${location}/${pointer("content", type, "schema")}`, type, body, status));
    }
    return { label, problems };
  }

  return { check };
}

export type ResponseValidator = ReturnType<typeof createResponseValidator>;

/** A response the document does not describe. */
export class UndocumentedResponseError extends Error {
  override name = "UndocumentedResponseError";
}

/** Checks a response and throws UndocumentedResponseError when the document does not describe it; the response stays unread for the caller. */
export async function assertDocumented(validator: ResponseValidator, runtime: string, request: { method: string; url: string }, response: Response): Promise<void> {
  const body = response.body ? await response.clone().text() : "";
  const { label, problems } = validator.check(request.method, request.url, response.status, response.headers, body);
  if (problems.length === 0) return;
  throw new UndocumentedResponseError(
    `${runtime}: ${request.method} ${new URL(request.url).pathname}${new URL(request.url).search} → ${response.status}, which the OpenAPI document (${label}) does not describe:\n  - ${problems.join("\n  - ")}\n  body: ${body.slice(0, 400)}`,
  );
}

/** The document a server serves, fetched once per server (origin) and kept. */
const validators = new Map<string, Promise<ResponseValidator>>();

/**
 * `fetch` checked against the served document. The document is read through the same `fetch`,
 * without a key, from a client address of its own (so per-IP limits of the tests never count it).
 */
export function documentedFetch(
  target: { runtime: string; origin: string; fetch(request: Request): Promise<Response>; documentFetch?(request: Request): Promise<Response> },
  clientIp: () => string,
) {
  const validator = () => {
    let loaded = validators.get(target.origin);
    if (!loaded) {
      loaded = (async () => {
        const res = await (target.documentFetch ?? target.fetch)(new Request(`${target.origin}/openapi.json`, { headers: { "CF-Connecting-IP": clientIp() } }));
        if (res.status !== 200) throw new Error(`${target.runtime}: GET /openapi.json answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
        return createResponseValidator((await res.json()) as OpenApiDocument);
      })();
      validators.set(target.origin, loaded);
      loaded.catch(() => validators.delete(target.origin));
    }
    return loaded;
  };
  return async (request: Request): Promise<Response> => {
    const { method, url } = request;
    const response = await target.fetch(request);
    await assertDocumented(await validator(), target.runtime, { method, url }, response);
    return response;
  };
}
