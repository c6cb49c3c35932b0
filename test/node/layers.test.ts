// The core's layers and the one direction its imports may point in (docs/ARCHITECTURE.md, "Layers"):
//
//   compose ──▶ http ──▶ services ──▶ ingest ──▶ data ──▶ domain ──▶ foundation
//                 │          └──────────────────▶ data, domain, foundation
//                 └─────────────────────────────▶ domain, foundation
//
// A module's layer is its first folder under src/core; the files directly in src/core (config,
// errors, log, ports, digest) are the foundation every layer may use. A layer may import its own
// modules and the layers it is allowed below; nothing in src/core imports src/platform or
// src/ui. Checked on the parsed imports of every module (type-only ones too), and proven to bite
// on violations planted in a copy of src/core.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineOf, moduleReferences, plantedCopy, readModules, ROOT } from "./support/source-tree";

const FOUNDATION = "foundation";
/** What each layer may import, besides itself. */
export const ALLOWED: Record<string, readonly string[]> = {
  [FOUNDATION]: [],
  domain: [FOUNDATION],
  data: ["domain", FOUNDATION],
  ingest: ["data", "domain", FOUNDATION],
  services: ["ingest", "data", "domain", FOUNDATION],
  http: ["services", "domain", FOUNDATION],
  compose: ["http", "services", "ingest", "data", "domain", FOUNDATION],
};

/** The layer of a path relative to src/core, or undefined for a folder that is no layer. */
function layerOf(relative: string): string | undefined {
  const parts = relative.split(path.sep);
  const [first, ...rest] = parts;
  if (rest.length === 0) return FOUNDATION;
  return first !== undefined && first in ALLOWED ? first : undefined;
}

/** `file:line imports target (layer → layer)` for every import that points the wrong way. */
export async function layerViolations(core: string): Promise<{ modules: number; layers: Set<string>; violations: string[] }> {
  const modules = await readModules(core);
  const violations: string[] = [];
  const layers = new Set<string>();
  for (const { file, source } of modules) {
    const from = layerOf(file);
    if (!from) {
      violations.push(`${file}: is in no layer (put it in one of ${Object.keys(ALLOWED).join(", ")})`);
      continue;
    }
    layers.add(from);
    for (const { node, specifier } of moduleReferences(source)) {
      if (!specifier.startsWith(".")) continue; // a package
      const target = path.relative(core, path.resolve(core, path.dirname(file), specifier));
      const where = `${file}:${lineOf(source, node)} imports ${specifier}`;
      if (target.startsWith("..")) {
        violations.push(`${where} (outside src/core)`);
        continue;
      }
      const to = layerOf(target);
      if (to !== from && !(to && ALLOWED[from]!.includes(to))) violations.push(`${where} (${from} → ${to ?? target})`);
    }
  }
  return { modules: modules.length, layers, violations };
}

describe("src/core imports point one way", () => {
  it("every core module is in a layer and imports only its own layer and the layers below it", async () => {
    const { modules, layers, violations } = await layerViolations(path.join(ROOT, "src/core"));
    expect(modules).toBeGreaterThan(60);
    expect([...layers].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(violations).toEqual([]);
  });

  describe("fails on violations planted in a temporary copy of src/core", () => {
    const PLANTED: [what: string, file: string, code: string, expected: string][] = [
      ["a service importing http", "services/games.ts", 'import type { AppEnv } from "../http/env";', "services/games.ts:#LINE# imports ../http/env (services → http)"],
      ["a repository importing http", "data/games.ts", 'import { toPage } from "../http/pagination";', "data/games.ts:#LINE# imports ../http/pagination (data → http)"],
      ["ingest importing services", "ingest/consumer.ts", 'export { gamesService } from "../services/games";', "ingest/consumer.ts:#LINE# imports ../services/games (ingest → services)"],
      ["http importing data", "http/routes/stats.ts", 'export type Row = import("../../data/schema").GameRow;', "http/routes/stats.ts:#LINE# imports ../../data/schema (http → data)"],
      ["domain importing data", "domain/game.ts", 'import { games } from "../data/schema";', "domain/game.ts:#LINE# imports ../data/schema (domain → data)"],
      ["the foundation importing a layer", "log.ts", 'import type { Scope } from "./domain/scopes";', "log.ts:#LINE# imports ./domain/scopes (foundation → domain)"],
      ["data importing ingest", "data/ledger.ts", 'export const load = () => import("../ingest/bounds");', "data/ledger.ts:#LINE# imports ../ingest/bounds (data → ingest)"],
      ["core importing a platform", "compose/deps.ts", 'import type { DenoSettings } from "../../platform/deno/settings";', "compose/deps.ts:#LINE# imports ../../platform/deno/settings (outside src/core)"],
    ];
    let copy: Awaited<ReturnType<typeof plantedCopy>> | undefined;
    let found: string[] = [];
    const expected: string[] = [];

    beforeAll(async () => {
      copy = await plantedCopy([...PLANTED.map(([, file, code]) => ({ file, code })), { file: "helpers/misc.ts", code: "export const x = 1;" }]);
      for (const [, file, , message] of PLANTED) expected.push(message.replace("#LINE#", String(copy.line.get(file))));
      found = (await layerViolations(copy.dir)).violations;
    });
    afterAll(async () => copy?.remove());

    it.each(PLANTED.map((p, i) => [p[0], i] as const))("%s is reported with its module and line", (_what, i) => {
      expect(found).toContain(expected[i]);
    });

    it("a module outside every layer is reported", () => {
      expect(found).toContain(`${path.join("helpers", "misc.ts")}: is in no layer (put it in one of ${Object.keys(ALLOWED).join(", ")})`);
    });

    it("and nothing else is", () => {
      expect(found).toHaveLength(PLANTED.length + 1);
    });
  });
});
