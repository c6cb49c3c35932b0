// The README's quick start, run as a newcomer runs it: `npm run dev` and `npm run dev:deno`
// started through npm (on free ports, state in a temporary directory: DEV_* variables), every
// README example marked `<!-- readme-test: … -->` run against them in order with the statuses the
// README states, `reset:local`, and a SIGTERM to npm — what a supervisor, an IDE or `kill` sends —
// stopping everything the script started.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runReadmeExamples, type ReadmeRun } from "./support/readme-examples";
import { eventually, liveProcessesInGroup, portIsFree, ROOT, startDevScript, type DevScript } from "./support/dev-script";

// Real processes on a machine that may be busy: wrangler dev takes 10–40 s to start, and the
// README's examples wait for ingestion runs.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

const README = path.join(ROOT, "README.md");

function describeRun(run: ReadmeRun): string {
  const calls = run.calls.map((c) => `  README.md:${c.readmeLine} → ${c.status} (expected ${c.expected}): ${c.command.slice(0, 140)}`);
  return [`exit code ${run.exitCode}`, "curl calls:", ...calls, "stderr:", run.stderr.slice(-4000), "stdout (end):", run.stdout.slice(-3000)].join("\n");
}

function expectCleanRun(run: ReadmeRun) {
  expect(run.exitCode, describeRun(run)).toBe(0);
  for (const call of run.calls) {
    if (call.expected === "2xx") expect(call.status, `README.md:${call.readmeLine}: ${call.command}`).toMatch(/^2\d\d$/);
    else expect(call.status, `README.md:${call.readmeLine}: ${call.command}`).toBe(call.expected);
  }
  expect(run.notRun, "commands with a stated status that never ran").toEqual([]);
}

async function runNpm(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const { spawn } = await import("node:child_process");
  const child = spawn("npm", ["run", "--silent", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * SIGTERM to npm's own process only (not its group): npm must pass it on and every process the
 * script started must end, leaving its ports free.
 */
async function expectStopsOnSigterm(dev: DevScript) {
  const pgid = dev.child.pid!;
  expect(await liveProcessesInGroup(pgid), "running before the signal").not.toEqual([]);
  dev.child.kill("SIGTERM");
  const code = await Promise.race([dev.exited, new Promise((resolve) => setTimeout(() => resolve("still running after 30 s"), 30_000))]);
  expect(code, dev.output().slice(-3000)).not.toBe("still running after 30 s");
  const left = await eventually(() => liveProcessesInGroup(pgid), (processes) => processes.length === 0, 15_000);
  expect(left, "processes still running after npm exited").toEqual([]);
  for (const [name, port] of Object.entries(dev.ports)) expect(await portIsFree(port), `${name} port ${port}`).toBe(true);
  // Each child stopped on its own signal, not killed when the grace period ran out.
  expect(dev.output()).not.toMatch(/sending SIGKILL/);
}

describe("npm run dev", () => {
  let dev: DevScript;

  beforeAll(async () => {
    dev = await startDevScript("dev");
  });

  afterAll(async () => {
    await dev?.destroy();
  });

  it("every README example marked for it runs in order on the quick-start data, each with the status the README states", async () => {
    const run = await runReadmeExamples(README, "dev", {
      cwd: ROOT,
      env: dev.env,
      replace: { "http://127.0.0.1:8787": dev.origin },
      timeoutMs: 150_000,
    });
    expectCleanRun(run);
    // The sequence covers the API end to end: keys, games, search, ingestion, failures, retry.
    const statuses = new Set(run.calls.map((c) => c.status));
    for (const status of ["200", "201", "202", "400", "401", "404", "409", "412", "429"]) expect(statuses, describeRun(run)).toContain(status);
  });

  it("the README's route table lists every operation of the OpenAPI document", async () => {
    const doc = (await (await fetch(`${dev.origin}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([route, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${route}`));
    const readme = await readFile(README, "utf8");
    const table = readme.slice(readme.indexOf("| route | scope | notes |"));
    const listed = new Set(
      [...table.slice(0, table.indexOf("\n\n")).matchAll(/`((?:GET|POST|PUT|PATCH|DELETE) \/[^`\s?]*)[^`]*`/g)].map((m) => m[1]),
    );
    expect(operations.length).toBeGreaterThan(10);
    expect([...listed].sort()).toEqual(operations.sort());
  });

  it("prints a one-line curl posting the sample file's S3 event; it is accepted, and the file is one ledger row whichever path saw it", async () => {
    const curl = dev
      .output()
      .split("\n")
      .find((line) => line.startsWith("curl -s -X POST ") && line.includes("/api/ingest/events"));
    expect(curl, dev.output().slice(-3000)).toBeDefined();
    const { execFile } = await import("node:child_process");
    const { parseDevVars } = await import("../../scripts/lib/processes.mjs");
    const { ADMIN_API_KEY } = parseDevVars(await readFile(path.join(ROOT, ".dev.vars.example"), "utf8"));
    const answer = await new Promise<string>((resolve, reject) =>
      execFile("bash", ["-c", `${curl} -w ' %{http_code}'`], { env: { ...dev.env, ADMIN: ADMIN_API_KEY } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    const [body, status] = [answer.slice(0, answer.lastIndexOf(" ")), answer.slice(answer.lastIndexOf(" ") + 1)];
    expect(status, body).toBe("202");
    expect(JSON.parse(body)).toMatchObject({ ignored: 0 });
    // Scanned (the README's cron) or recorded by this event: one row, the key and ETag as listed.
    const files = (await (await fetch(`${dev.origin}/api/ingest/files?limit=50`, { headers: { Authorization: `Bearer ${ADMIN_API_KEY}` } })).json()) as { key: string }[];
    expect(files.filter((f) => f.key === "daily/2021-12-09/ios.top100.json")).toHaveLength(1);
  });

  it("reset:local refuses while the stack runs and leaves its state alone", async () => {
    const { code, output } = await runNpm("reset:local", dev.env);
    expect(code, output).toBe(1);
    expect(output).toMatch(/stop npm run dev/);
    expect(await exists(path.join(dev.stateDir, "wrangler"))).toBe(true);
    expect(await exists(path.join(dev.stateDir, "s3"))).toBe(true);
  });

  it("stops on SIGTERM with everything it started — local S3, wrangler, workerd — and frees its ports", async () => {
    await expectStopsOnSigterm(dev);
  });

  it("reset:local then removes the local D1, KV and S3 state", async () => {
    const { code, output } = await runNpm("reset:local", dev.env);
    expect(code, output).toBe(0);
    expect(output).toMatch(/removed .*wrangler.*s3/);
    expect(await exists(path.join(dev.stateDir, "wrangler"))).toBe(false);
    expect(await exists(path.join(dev.stateDir, "s3"))).toBe(false);
  });
});

describe("npm run dev:deno", () => {
  let dev: DevScript;

  beforeAll(async () => {
    dev = await startDevScript("dev:deno");
  });

  afterAll(async () => {
    await dev?.destroy();
  });

  it("the README's Deno examples run, each with the status the README states", async () => {
    const run = await runReadmeExamples(README, "dev:deno", {
      cwd: ROOT,
      env: dev.env,
      replace: { "http://127.0.0.1:8788": dev.origin },
      timeoutMs: 60_000,
    });
    expectCleanRun(run);
    expect(run.calls.length).toBeGreaterThanOrEqual(2);
  });

  it("stops on SIGTERM with everything it started — local S3 and deno --watch — and frees its ports", async () => {
    await expectStopsOnSigterm(dev);
  });

  it("reset:local then removes Deno's database and KV", async () => {
    expect(await exists(path.join(dev.stateDir, "deno"))).toBe(true);
    const { code, output } = await runNpm("reset:local", dev.env);
    expect(code, output).toBe(0);
    expect(await exists(path.join(dev.stateDir, "deno"))).toBe(false);
  });
});
