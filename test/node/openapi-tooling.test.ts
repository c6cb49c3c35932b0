// The OpenAPI document's tooling (scripts/openapi.mjs): the document it builds offline is the one
// the API serves, it passes Redocly's recommended rules with no warning, and the TypeScript
// client's committed types are generated from it (the drift check CI runs as `npm run
// client:check`, here in `npm test` as well).
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLIENT_TYPES, clientTypes, openApiDocumentText, root } from "../../scripts/lib/openapi-document.mjs";

let document: string;

beforeAll(async () => {
  document = await openApiDocumentText();
}, 60_000);

describe("the OpenAPI document built without a server", () => {
  it("is the served one, byte for byte (test/core/http/openapi.snapshot.json is GET /openapi.json, indented)", async () => {
    const snapshot = await readFile(path.join(root, "test/core/http/openapi.snapshot.json"), "utf8");
    expect(`${JSON.stringify(JSON.parse(document), null, 2)}\n`).toBe(snapshot);
  });

  it("passes Redocly's recommended rules with 0 errors and 0 warnings (npm run lint:openapi)", () => {
    const lint = spawnSync(process.execPath, [path.join(root, "scripts/openapi.mjs"), "lint"], { encoding: "utf8", timeout: 60_000 });
    const output = `${lint.stdout}${lint.stderr}`;
    expect(lint.status, output).toBe(0);
    expect(output).toContain("Your API description is valid");
    expect(output).not.toMatch(/warning/i);
  }, 90_000);
});

describe("clients/typescript", () => {
  it("commits the types openapi-typescript generates from the document (npm run client:generate)", async () => {
    const committed = await readFile(CLIENT_TYPES, "utf8");
    expect(committed === (await clientTypes(document)), "clients/typescript/src/openapi.d.ts drifted from the document: run `npm run client:generate`").toBe(true);
  });

  it("has an operation type for every operationId of the document", async () => {
    const committed = await readFile(CLIENT_TYPES, "utf8");
    const ids = [...document.matchAll(/"operationId":"(\w+)"/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(committed).toContain(`    ${id}: {`);
  });
});
