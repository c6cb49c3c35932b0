// The OpenAPI document's tooling, offline (no server):
//   node scripts/openapi.mjs write FILE       write the served document to FILE (indented)
//   node scripts/openapi.mjs lint             lint it with Redocly's recommended rules (redocly.yaml): 0 errors, 0 warnings
//   node scripts/openapi.mjs client           regenerate clients/typescript/src/openapi.d.ts
//   node scripts/openapi.mjs client --check   fail when the committed types differ from the document
// npm scripts: `openapi:write`, `lint:openapi`, `client:generate`, `client:check`.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLIENT_TYPES, clientTypes, openApiDocumentText, root } from "./lib/openapi-document.mjs";

const [command, arg] = process.argv.slice(2);
const indented = (text) => `${JSON.stringify(JSON.parse(text), null, 2)}\n`;

async function lint() {
  const dir = await mkdtemp(path.join(tmpdir(), "game-db-openapi-"));
  try {
    const file = path.join(dir, "openapi.json");
    await writeFile(file, indented(await openApiDocumentText()));
    // Run with this Node (the project's, 22: Redocly needs ≥ 22.12), whatever `node` is on PATH.
    const redocly = path.join(root, "node_modules/@redocly/cli/bin/cli.js");
    const result = spawnSync(process.execPath, [redocly, "lint", file, "--config", path.join(root, "redocly.yaml"), "--max-problems", "1000"], {
      stdio: "inherit",
      // No telemetry and no update check: the lint runs offline, in CI too.
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    });
    return result.status ?? 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function client(check) {
  const types = await clientTypes(await openApiDocumentText());
  const relative = path.relative(root, CLIENT_TYPES);
  if (!check) {
    await writeFile(CLIENT_TYPES, types);
    console.log(`openapi: wrote ${relative}`);
    return 0;
  }
  const committed = await readFile(CLIENT_TYPES, "utf8").catch(() => "");
  if (committed === types) {
    console.log(`openapi: ${relative} matches the document`);
    return 0;
  }
  console.error(`openapi: ${relative} differs from the document; run \`npm run client:generate\` and commit it`);
  return 1;
}

let status;
if (command === "write" && arg) {
  await writeFile(arg, indented(await openApiDocumentText()));
  status = 0;
} else if (command === "lint") status = await lint();
else if (command === "client") status = await client(arg === "--check");
else {
  console.error("usage: node scripts/openapi.mjs write FILE | lint | client [--check]");
  status = 2;
}
process.exit(status);
