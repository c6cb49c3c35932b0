// Reading the source tree for the architecture checks (runtime-neutral.test.ts, layers.test.ts):
// every module is parsed with the TypeScript parser alone (no type checker), so the checks are
// fast and cannot be fooled by comments or strings.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

export const ROOT = path.resolve(import.meta.dirname, "../../..");

/** Every TypeScript or JavaScript module below `dir` (declaration files aside), sorted. */
export async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.(m?ts|tsx|m?js)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export function parseModule(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
}

/** A module named by an import, an export … from, an `import("…")` type or call, or `require("…")`. */
export interface ModuleReference {
  node: ts.Node;
  specifier: string;
}

export function moduleReferences(source: ts.SourceFile): ModuleReference[] {
  const found: ModuleReference[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ node, specifier: node.moduleSpecifier.text });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ node, specifier: node.argument.literal.text });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require")) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ node, specifier: node.arguments[0].text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export const lineOf = (source: ts.SourceFile, node: ts.Node | number): number =>
  source.getLineAndCharacterOfPosition(typeof node === "number" ? node : node.getStart(source)).line + 1;

export async function readModules(dir: string): Promise<{ file: string; source: ts.SourceFile }[]> {
  const files = await sourceFiles(dir);
  return Promise.all(files.map(async (file) => ({ file: path.relative(dir, file), source: parseModule(file, await readFile(file, "utf8")) })));
}

/**
 * A temporary copy of src/core with `code` planted in each `file` (created when it does not
 * exist): appended, except a triple-slash directive, which only counts at the top of a file.
 * `line` tells where each planted code landed. The checks prove they bite on such a copy, never
 * on src/core itself.
 */
export async function plantedCopy(planted: readonly { file: string; code: string }[]): Promise<{ dir: string; line: Map<string, number>; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "game-db-planted-"));
  await cp(path.join(ROOT, "src/core"), dir, { recursive: true });
  const line = new Map<string, number>();
  for (const { file, code } of planted) {
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    const original = await readFile(target, "utf8").catch(() => undefined);
    if (original === undefined || code.startsWith("///")) {
      line.set(file, 1);
      await writeFile(target, `${code}\n${original ?? ""}`);
    } else {
      line.set(file, `${original}\n`.split("\n").length);
      await writeFile(target, `${original}\n${code}\n`);
    }
  }
  return { dir, line, remove: () => rm(dir, { recursive: true, force: true }) };
}
