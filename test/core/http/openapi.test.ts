import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEMS, problemType, type ProblemCode } from "../../../src/core/errors";
import { createApp } from "../../../src/core/http/app";
import { call } from "../../helpers/api";
import { randomIp } from "../../support/client";

/** A parameter as written in an operation: inline, or a reference to components.parameters. */
interface Parameter {
  $ref?: string;
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  schema?: { example?: unknown; $ref?: string };
}

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown; examples?: Record<string, unknown> }> };
  responses: Record<
    string,
    {
      description: string;
      content?: Record<string, { schema: unknown; example?: unknown; examples?: Record<string, { summary?: string; value: unknown }> }>;
      headers?: Record<string, unknown>;
    }
  >;
}

interface Document {
  openapi: string;
  info: { title: string; version: string; license?: { name: string; identifier?: string; url?: string }; contact?: { name?: string } };
  servers?: { url: string; description?: string; variables?: Record<string, { default: string }> }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const NOT_DOCUMENTED = new Set(["/openapi.json", "/docs"]);
/** The /api operations authenticated otherwise than by an API key (an SNS message's signature). */
const PUBLIC_API_OPERATIONS = ["POST /api/ingest/sns"];

/** The object a local `$ref` (`#/components/…`) points at. */
const resolve = (ref: string): unknown => ref.replace(/^#\//, "").split("/").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], doc);

let served: string;
let doc: Document;
let operations: { method: string; path: string; op: Operation }[];

beforeAll(async () => {
  const res = await call("/openapi.json", { key: null, ip: randomIp() });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  served = await res.text();
  doc = JSON.parse(served) as Document;
  operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
});

describe("GET /openapi.json", () => {
  // The document is part of the API's contract: a refactoring must leave it byte for byte as it
  // was. The committed snapshot is the served body, indented for review. A change to the document
  // made on purpose (a new route, a new example) updates it: `npm test -- -u
  // test/core/http/openapi.test.ts`, and the diff of openapi.snapshot.json shows the change.
  it("is byte for byte the committed snapshot (test/core/http/openapi.snapshot.json)", async () => {
    // The body is JSON.stringify's canonical form, so indenting it loses nothing: equal snapshots
    // mean equal bytes.
    expect(JSON.stringify(JSON.parse(served))).toBe(served);
    await expect(`${JSON.stringify(JSON.parse(served), null, 2)}\n`).toMatchFileSnapshot("./openapi.snapshot.json");
  });

  it("is an OpenAPI 3.1 document with info and paths", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  });

  it("documents every route the app serves, and nothing else", () => {
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL" && !NOT_DOCUMENTED.has(r.path))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    expect(served.size).toBeGreaterThan(5);
    expect(new Set(operations.map((o) => `${o.method} ${o.path}`))).toEqual(served);
  });

  // Generated clients name their methods after operationIds: each operation has one, unique,
  // camelCase, and they never change (a renamed one breaks every team's code). Routes added
  // later are held to it here too.
  it("gives every operation a unique camelCase operationId, the same as before", () => {
    const ids = operations.map(({ method, path, op }) => {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      return op.operationId!;
    });
    expect(new Set(ids).size).toBe(ids.length);
    const stable: Record<string, string> = {
      "GET /api/games": "listGames",
      "POST /api/games": "createGame",
      "GET /api/games/{id}": "getGame",
      "PUT /api/games/{id}": "replaceGame",
      "PATCH /api/games/{id}": "updateGame",
      "DELETE /api/games/{id}": "deleteGame",
      "GET /api/games/search": "searchGames",
      "POST /api/games/search": "searchGamesByBody",
      "POST /api/games/populate": "populateGames",
      "GET /api/ingest/runs": "listIngestRuns",
      "GET /api/ingest/runs/{id}": "getIngestRun",
      "GET /api/ingest/files": "listIngestFiles",
      "POST /api/ingest/files/{id}/retry": "retryIngestFile",
      "POST /api/keys": "createApiKey",
      "GET /api/keys": "listApiKeys",
      "GET /api/keys/{id}": "getApiKey",
      "DELETE /api/keys/{id}": "revokeApiKey",
      "GET /api/stats": "getStats",
      "GET /health": "getHealth",
      "GET /problems": "listProblemTypes",
      "GET /problems/{code}": "getProblemType",
      "POST /api/ingest/events": "ingestEvents",
      "POST /api/ingest/sns": "receiveSnsMessage",
    };
    for (const [operation, id] of Object.entries(stable)) {
      expect(operations.find((o) => `${o.method} ${o.path}` === operation)?.op.operationId, operation).toBe(id);
    }
  });

  it("names its servers (this host first, then the deployed environments), licence, contact, and describes every tag it uses", () => {
    expect(doc.servers?.[0]).toEqual({ url: "/", description: expect.any(String) });
    expect(doc.servers!.slice(1).map((s) => s.url)).toEqual(["https://game-db-staging.{subdomain}.workers.dev", "https://game-db-production.{subdomain}.workers.dev"]);
    for (const server of doc.servers!) for (const [, name] of server.url.matchAll(/\{(\w+)\}/g)) expect(server.variables?.[name!]?.default, server.url).toBeTruthy();
    expect(doc.info.license?.name).toBeTruthy();
    expect(doc.info.license?.identifier ?? doc.info.license?.url).toBeTruthy();
    expect(doc.info.contact?.name).toBeTruthy();
    const described = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    for (const { method, path, op } of operations) {
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const tag of op.tags!) expect(described.get(tag), `${method} ${path}: tag ${tag}`).toBeTruthy();
    }
  });

  it("marks the public operations public (security: []) and only those", () => {
    const publicOps = operations.filter((o) => !o.path.startsWith("/api/") || o.path === "/api/ingest/sns");
    expect(publicOps.map((o) => `${o.method} ${o.path}`).sort()).toEqual(["GET /health", "GET /problems", "GET /problems/{code}", "POST /api/ingest/sns"]);
    for (const { op } of publicOps) expect(op.security).toEqual([]);
  });

  it("shows an example of every request: each parameter and each request body", () => {
    let parameters = 0;
    for (const { method, path, op } of operations) {
      for (const written of op.parameters ?? []) {
        const p = written.$ref ? (resolve(written.$ref) as Parameter) : written;
        const schema = p.schema?.$ref ? (resolve(p.schema.$ref) as { example?: unknown }) : p.schema;
        expect(p.example ?? schema?.example, `${method} ${path} ${p.in} ${p.name}`).toBeDefined();
        parameters++;
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        expect(media.example ?? media.examples, `${method} ${path} request ${type}`).toBeDefined();
      }
    }
    expect(parameters).toBeGreaterThan(operations.length);
  });

  it("shows an example of every response with a body", () => {
    for (const { method, path, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          expect(media.example ?? media.examples, `${method} ${path} ${status} ${type}`).toBeDefined();
        }
      }
    }
  });

  it("declares API-key security on every /api operation but the public ones, with schemes that exist", () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    expect(schemes.sort()).toEqual(["apiKeyHeader", "bearerAuth"]);
    const api = operations.filter((o) => o.path.startsWith("/api/"));
    const open = api.filter((o) => o.op.security?.length === 0).map((o) => `${o.method} ${o.path}`);
    expect(open).toEqual(PUBLIC_API_OPERATIONS);
    for (const { method, path, op } of api.filter((o) => !open.includes(`${o.method} ${o.path}`))) {
      expect(op.security, `${method} ${path}`).toBeDefined();
      expect(op.security!.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const requirement of op.security!) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
    }
  });

  it("declares 401 (but on public operations), 403, 429 and 500 problem responses on every /api operation", () => {
    for (const { method, path, op } of operations.filter((o) => o.path.startsWith("/api/"))) {
      const open = PUBLIC_API_OPERATIONS.includes(`${method} ${path}`);
      expect(op.responses["401"] === undefined, `${method} ${path} 401`).toBe(open);
      for (const status of open ? ["403", "429", "500"] : ["401", "403", "429", "500"]) {
        const response = op.responses[status];
        expect(response, `${method} ${path} ${status}`).toBeDefined();
        expect(response!.content?.["application/problem+json"]?.schema, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/schemas/Problem" });
      }
      expect(Object.keys(op.responses["429"]!.headers ?? {}), `${method} ${path}`).toEqual(
        expect.arrayContaining(["Retry-After", "RateLimit", "RateLimit-Policy"]),
      );
    }
  });

  it("gives every problem response one example per problem it declares, each with that problem's own type, title and status", () => {
    const byTitle = new Map(Object.entries(PROBLEMS).map(([code, p]) => [p.title as string, code as ProblemCode]));
    let checked = 0;
    for (const { method, path, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.["application/problem+json"];
        if (!media) continue;
        const label = `${method} ${path} ${status}`;
        // The description lists the titles of the problems this status stands for ("A; B").
        const declared = response.description.split("; ").map((title) => byTitle.get(title));
        expect(declared, label).not.toContain(undefined);
        const examples = media.examples ? Object.values(media.examples).map((e) => e.value) : media.example === undefined ? [] : [media.example];
        expect(examples.length, label).toBe(declared.length);
        const shown = examples.map((example) => {
          const body = example as { type: string; title: string; status: number; detail: string; requestId: string };
          const code = body.type.replace(/^\/problems\//, "") as ProblemCode;
          expect(body.type, label).toBe(problemType(code));
          expect(PROBLEMS[code], label).toBeDefined();
          expect(body.status, label).toBe(Number(status));
          expect(body.title, label).toBe(PROBLEMS[code].title);
          expect(body.detail.length, label).toBeGreaterThan(0);
          checked++;
          return code;
        });
        expect(shown.sort(), label).toEqual([...declared].sort());
        // Only a validation problem carries field errors.
        for (const example of examples as { type: string; errors?: unknown[] }[]) {
          expect(example.errors !== undefined, `${label} ${example.type}`).toBe(example.type === problemType("validation"));
        }
      }
    }
    expect(checked).toBeGreaterThan(operations.length * 4);
  });

  it("declares 400, 413 and 415 on every operation with a request body", () => {
    const withBody = operations.filter((o) => o.op.requestBody);
    expect(withBody.map((o) => `${o.method} ${o.path}`).sort()).toEqual(
      expect.arrayContaining(["POST /api/games", "PUT /api/games/{id}", "PATCH /api/games/{id}", "POST /api/keys"]),
    );
    for (const { method, path, op } of withBody) {
      // SNS posts its JSON as text/plain.
      const mediaTypes = `${method} ${path}` === "POST /api/ingest/sns" ? ["text/plain"] : ["application/json"];
      expect(Object.keys(op.requestBody!.content), `${method} ${path}`).toEqual(mediaTypes);
      for (const status of ["400", "413", "415"]) {
        expect(op.responses[status]?.content?.["application/problem+json"], `${method} ${path} ${status}`).toBeDefined();
      }
    }
  });

  it("declares the path parameters of templated paths", () => {
    for (const { method, path, op } of operations) {
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect(op.parameters, `${method} ${path}`).toContainEqual(expect.objectContaining({ name, in: "path", required: true }));
      }
    }
  });

  it("declares the optional If-Match header and the 412 on the conditional game writes, and the ETag their answers carry", () => {
    const conditional = ["PUT /api/games/{id}", "PATCH /api/games/{id}", "DELETE /api/games/{id}"];
    for (const { method, path, op } of operations) {
      const label = `${method} ${path}`;
      const ifMatch = op.parameters?.find((p) => p.in === "header" && p.name.toLowerCase() === "if-match");
      if (!conditional.includes(label)) {
        expect(ifMatch, label).toBeUndefined();
        continue;
      }
      expect(ifMatch, label).toMatchObject({ name: "If-Match", in: "header" });
      expect(ifMatch!.required ?? false, label).toBe(false);
      expect(op.responses["412"]?.content?.["application/problem+json"], label).toBeDefined();
    }
    for (const [path, method, status] of [["/api/games/{id}", "put", "200"], ["/api/games/{id}", "patch", "200"], ["/api/games", "post", "201"]] as const) {
      expect(Object.keys(doc.paths[path]![method]!.responses[status]!.headers ?? {}), `${method} ${path}`).toContain("ETag");
    }
  });

  it("declares a 2xx response for every operation", () => {
    for (const { method, path, op } of operations) {
      expect(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${method} ${path}`).toBe(true);
    }
  });

  it("has no dangling $ref", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of new Set(refs)) expect(doc.components.schemas, name).toHaveProperty([name]);
  });
});

describe("GET /docs", () => {
  let html: string;
  let res: Response;

  beforeAll(async () => {
    res = await call("/docs", { key: null, ip: randomIp() });
    html = await res.text();
  });

  it("serves Swagger UI HTML that loads the vendored bundle from this Worker", () => {
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(html).toContain('<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>');
    expect(html).toContain('id="swagger-ui"');
    // Nothing from a CDN: every script and stylesheet is a local path.
    const loaded = [...html.matchAll(/<script src="([^"]+)"|<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
    expect(loaded.length).toBe(3);
    for (const src of loaded) expect(src).toMatch(/^\/vendor\//);
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^\/(?!\/)/);
  });

  it("links back to the web UI", () => {
    expect(html).toMatch(/<a href="\/">[^<]*web UI[^<]*<\/a>/);
  });

  it("names an icon that exists: /favicon.ico, a real ICO file", async () => {
    expect(html).toContain('<link rel="icon" href="/favicon.ico">');
    const icon = await env.ASSETS.fetch("http://x/favicon.ico");
    expect(icon.status).toBe(200);
    const bytes = new Uint8Array(await icon.arrayBuffer());
    // ICONDIR: reserved 0, type 1 (icon), at least one image.
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0]);
    expect(bytes[4]! + bytes[5]! * 256).toBeGreaterThan(0);
  });

  it("references only assets that exist, and the init script points at /openapi.json", async () => {
    const assets = [...html.matchAll(/(?:src|href)="(\/vendor\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(["/vendor/swagger-ui/swagger-ui-bundle.js", "/vendor/swagger-ui/swagger-ui.css", "/vendor/swagger-ui/init.js"]));
    for (const path of assets) {
      const asset = await env.ASSETS.fetch(`http://x${path}`);
      expect(asset.status, path).toBe(200);
      const text = await asset.text();
      expect(text.length, path).toBeGreaterThan(0);
      if (path.endsWith("swagger-ui-bundle.js")) {
        expect(text.length).toBeGreaterThan(100_000);
        expect(text).toContain("SwaggerUIBundle");
      }
      if (path.endsWith("init.js")) expect(text).toContain('url: "/openapi.json"');
    }
  });

  it("runs under a Content-Security-Policy that allows only its own scripts", () => {
    const csp = res.headers.get("Content-Security-Policy");
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  });

  it("may not be framed by any page (clickjacking): frame-ancestors 'none' and X-Frame-Options: DENY", () => {
    const directives = res.headers.get("Content-Security-Policy")!.split(";").map((d) => d.trim());
    expect(directives).toContain("frame-ancestors 'none'");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
  });
});
