// src/core must stay runtime-neutral: the Worker and the Deno server run it unchanged, and only
// the adapters under src/platform/ may know their platform. This reads every core module with the
// TypeScript parser (no type checker, so it is fast and cannot be fooled by comments or strings)
// and fails on:
// - imports of Cloudflare-only modules (`cloudflare:*`, `@cloudflare/*`, wrangler, miniflare,
//   workerd, __STATIC_CONTENT_MANIFEST), also as `import()`, `require()` or a triple-slash
//   `/// <reference types>`;
// - Workers-only types (KVNamespace, D1Database, Queue<…>, ExecutionContext, ScheduledController,
//   MessageBatch, the RateLimit binding, ExportedHandler, Env, Cloudflare.*…), unless the module
//   declares or imports a name of its own;
// - Workers-only globals (HTMLRewriter, WebSocketPair, caches.default, request.cf,
//   passThroughOnException).
// `tsconfig.core.json` (DOM lib, no Workers types) and `deno check` (Deno's lib) compile the core
// too; this check names the offending module and line, and is proven to bite on planted
// violations below.
import { readFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineOf, moduleReferences, parseModule, plantedCopy, ROOT, sourceFiles } from "./support/source-tree";

const FORBIDDEN_MODULES = [/^cloudflare:/, /^@cloudflare\//, /^wrangler(\/|$)/, /^miniflare(\/|$)/, /^workerd(\/|$)/, /^__STATIC_CONTENT_MANIFEST$/];

const WORKERS_TYPES = new Set([
  "KVNamespace",
  "KVNamespaceGetOptions",
  "KVNamespacePutOptions",
  "KVNamespaceListResult",
  "D1Database",
  "D1PreparedStatement",
  "D1Result",
  "D1ExecResult",
  "D1Meta",
  "Queue",
  "MessageBatch",
  "QueueEvent",
  "MessageSendRequest",
  "ExecutionContext",
  "ScheduledController",
  "ScheduledEvent",
  "ExportedHandler",
  "ExportedHandlerFetchHandler",
  "RateLimit",
  "RateLimitOptions",
  "R2Bucket",
  "R2Object",
  "DurableObject",
  "DurableObjectNamespace",
  "DurableObjectState",
  "DurableObjectStub",
  "Fetcher",
  "IncomingRequestCfProperties",
  "CfProperties",
  "AnalyticsEngineDataset",
  "Hyperdrive",
  "Env",
]);
/** Namespaces whose members are all Workers-only (`Cloudflare.Env`, …). */
const WORKERS_NAMESPACES = new Set(["Cloudflare"]);
const WORKERS_GLOBALS = new Set(["HTMLRewriter", "WebSocketPair"]);
/** Property names only Workers objects have: `request.cf`, `ctx.passThroughOnException()`. */
const WORKERS_PROPERTIES = new Set(["cf", "passThroughOnException"]);

export interface Violation {
  file: string;
  line: number;
  what: string;
}

/** Names a module declares or imports itself; a local `type Queue` is not Cloudflare's. */
function localNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (
      (ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isFunctionDeclaration(node) ||
        ts.isEnumDeclaration(node) ||
        ts.isTypeParameterDeclaration(node) ||
        ts.isImportSpecifier(node) ||
        ts.isImportClause(node) ||
        ts.isNamespaceImport(node) ||
        ts.isVariableDeclaration(node) ||
        ts.isParameter(node)) &&
      node.name &&
      ts.isIdentifier(node.name)
    ) {
      names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

export function scanModule(file: string, text: string): Violation[] {
  const source = parseModule(file, text);
  const own = localNames(source);
  const found: Violation[] = [];
  const report = (node: ts.Node | number, what: string) => found.push({ file, line: lineOf(source, node), what });
  for (const { node, specifier } of moduleReferences(source)) {
    if (FORBIDDEN_MODULES.some((re) => re.test(specifier))) report(node, `imports "${specifier}"`);
  }

  for (const ref of [...source.typeReferenceDirectives, ...source.referencedFiles]) {
    if (FORBIDDEN_MODULES.some((re) => re.test(ref.fileName)) || /workers-types|worker-configuration/.test(ref.fileName)) {
      report(ref.pos, `references "${ref.fileName}"`);
    }
  }

  const visit = (node: ts.Node) => {
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      const root = ts.isQualifiedName(name) ? leftmost(name) : ts.isPropertyAccessExpression(name) ? leftmostExpression(name) : name;
      if (ts.isIdentifier(root) && !own.has(root.text)) {
        if (ts.isIdentifier(name) && WORKERS_TYPES.has(name.text)) report(node, `uses the Workers type ${name.text}`);
        else if (WORKERS_NAMESPACES.has(root.text)) report(node, `uses the Workers type ${node.getText(source)}`);
      }
    } else if (ts.isIdentifier(node) && WORKERS_GLOBALS.has(node.text) && !own.has(node.text)) {
      report(node, `uses the Workers global ${node.text}`);
    } else if (ts.isPropertyAccessExpression(node)) {
      const property = node.name.text;
      if (property === "default" && ts.isIdentifier(node.expression) && node.expression.text === "caches") report(node, "uses caches.default");
      if (WORKERS_PROPERTIES.has(property)) report(node, `uses the Workers-only property .${property}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function leftmost(name: ts.QualifiedName): ts.Identifier {
  let left: ts.EntityName = name;
  while (ts.isQualifiedName(left)) left = left.left;
  return left;
}
function leftmostExpression(name: ts.PropertyAccessExpression): ts.Expression {
  let left: ts.Expression = name;
  while (ts.isPropertyAccessExpression(left)) left = left.expression;
  return left;
}

export async function scanTree(dir: string): Promise<{ files: number; violations: Violation[] }> {
  const files = await sourceFiles(dir);
  const violations: Violation[] = [];
  for (const file of files) violations.push(...scanModule(path.relative(dir, file), await readFile(file, "utf8")));
  return { files: files.length, violations };
}

const format = (v: Violation[]) => v.map((x) => `${x.file}:${x.line} ${x.what}`);

describe("src/core is runtime-neutral", () => {
  it("no core module imports a Cloudflare module or uses a Workers-only type or global", async () => {
    const { files, violations } = await scanTree(path.join(ROOT, "src/core"));
    expect(files).toBeGreaterThan(40);
    expect(format(violations)).toEqual([]);
  });

  it("the Cloudflare adapter, scanned the same way, is full of them (the check sees what it must)", async () => {
    const { violations } = await scanTree(path.join(ROOT, "src/platform/cloudflare"));
    const what = new Set(violations.map((v) => v.what));
    for (const expected of ["uses the Workers type KVNamespace", "uses the Workers type Queue", "uses the Workers type RateLimit", "uses the Workers type ExportedHandler"]) {
      expect([...what]).toContain(expected);
    }
  });

  describe("fails on violations planted in a temporary copy of src/core", () => {
    // One violation per file, all planted in one copy (never in src/core itself) and scanned once.
    const PLANTED: [what: string, file: string, code: string, expected: string][] = [
      ["a cloudflare: import", "ingest/scanner.ts", 'import { env } from "cloudflare:workers";', 'imports "cloudflare:workers"'],
      ["a type-only @cloudflare import", "ports.ts", 'import type { KVNamespace as KV } from "@cloudflare/workers-types";', 'imports "@cloudflare/workers-types"'],
      ["a dynamic wrangler import", "config.ts", 'export const load = () => import("wrangler");', 'imports "wrangler"'],
      ["a types reference", "log.ts", '/// <reference types="@cloudflare/workers-types" />', 'references "@cloudflare/workers-types"'],
      ["a KVNamespace parameter", "data/data-version.ts", "export function raw(kv: KVNamespace) { return kv; }", "uses the Workers type KVNamespace"],
      ["a D1Database field", "data/database.ts", "export interface Raw { d1: D1Database }", "uses the Workers type D1Database"],
      ["a Queue<…> producer", "ingest/deps.ts", "export type Producer = Queue<unknown>;", "uses the Workers type Queue"],
      ["an ExecutionContext", "http/env.ts", "export type Ctx = ExecutionContext;", "uses the Workers type ExecutionContext"],
      ["a ScheduledController", "ingest/freshness.ts", "export const cron = (c: ScheduledController) => c.cron;", "uses the Workers type ScheduledController"],
      ["a MessageBatch", "ingest/consumer.ts", "export const size = (b: MessageBatch<unknown>) => b.messages.length;", "uses the Workers type MessageBatch"],
      ["the RateLimit binding type", "http/middleware/rate-limit.ts", "export const binding = (r: RateLimit) => r;", "uses the Workers type RateLimit"],
      ["Cloudflare.Env", "http/app.ts", "export type Bindings = Cloudflare.Env;", "uses the Workers type Cloudflare.Env"],
      ["caches.default", "http/middleware/read-cache.ts", "export const edge = () => caches.default;", "uses caches.default"],
      ["HTMLRewriter", "http/routes/docs.ts", "export const rewriter = () => new HTMLRewriter();", "uses the Workers global HTMLRewriter"],
      ["request.cf", "http/middleware/request-id.ts", "export const country = (r: Request) => (r as any).cf?.country;", "uses the Workers-only property .cf"],
    ];
    let copy: Awaited<ReturnType<typeof plantedCopy>> | undefined;
    let found: string[] = [];

    beforeAll(async () => {
      expect(new Set(PLANTED.map((p) => p[1])).size).toBe(PLANTED.length);
      copy = await plantedCopy(PLANTED.map(([, file, code]) => ({ file, code })));
      found = format((await scanTree(copy.dir)).violations);
    });
    afterAll(async () => copy?.remove());

    it.each(PLANTED)("%s is reported with its module and line", (_what, file, _code, expected) => {
      expect(found.filter((line) => line.startsWith(`${file}:`))).toEqual([`${file}:${copy!.line.get(file)} ${expected}`]);
    });

    it("and nothing else is", () => {
      expect(found).toHaveLength(PLANTED.length);
    });

    it("a local type that happens to share a Workers name is not a violation", async () => {
      expect(scanModule("x.ts", "interface Queue<T> { items: T[] }\nexport const q: Queue<number> = { items: [] };")).toEqual([]);
      expect(scanModule("y.ts", "// KVNamespace and caches.default in a comment\nexport const s = 'HTMLRewriter, cloudflare:workers';")).toEqual([]);
    });
  });
});
