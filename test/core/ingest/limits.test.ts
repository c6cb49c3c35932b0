// Poison inputs never kill the consumer: every cap of IngestLimits, at its edge (just under →
// ingested; just over → `failed` with the cap's code, an alert, games untouched, no staging left),
// end to end against the real S3 server and D1; and the query budget and staging payloads alone.
import { env } from "cloudflare:test";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { SQL } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { StagingPayloads, stagingJson } from "../../../src/core/data/staging";
import { processIngestMessage } from "../../../src/core/ingest/consumer";
import { IngestError } from "../../../src/core/ingest/errors";
import { INGEST_LIMITS, QueryBudget, stagingBudget, type IngestLimits } from "../../../src/core/ingest/limits";
import { toGameRecord } from "../../../src/core/ingest/record";
import { runScan } from "../../../src/core/ingest/scanner";
import { alerts, type FileRow, gamesSnapshot, putObject, resetIngestState, runCron, stagingCount, waitForFilesSettled } from "../../helpers/ingest";
import { gzip, holdingQueue, iosRecord, ndjson, realDeps } from "../../helpers/ingest-pipeline";
import { waitFor } from "../../support/wait";

const MiB = 1024 * 1024;
const utf8 = (text: string) => new TextEncoder().encode(text).length;

/** Uploads a file and hands its message to the consumer with `limits`; returns its ledger row. */
async function consume(key: string, body: BodyInit, limits?: IngestLimits): Promise<FileRow> {
  await putObject(key, body);
  const queue = holdingQueue();
  const deps = realDeps(limits ? { limits } : {});
  await runScan("manual", { ...deps, ingestQueue: queue });
  const message = queue.held.find((m) => m.key === key)!;
  expect(await processIngestMessage(message, 1, deps)).toEqual({ action: "ack" });
  const row = await env.DB.prepare("SELECT * FROM ingest_files WHERE id = ?").bind(message.fileId).first<FileRow>();
  return row!;
}

/** The file failed for good with `code`, an alert names the file and the reason, nothing was left behind. */
async function expectRefused(row: FileRow, code: string, message: RegExp) {
  expect(row).toMatchObject({ status: "failed", attempts: 1 });
  expect(row.last_error).toMatch(new RegExp(`^${code}: `));
  expect(row.last_error).toMatch(message);
  const alert = await waitFor(async () => (await alerts()).find((a) => a.text.includes("Ingestion failed") && a.text.includes(row.key)), { what: "failure alert" });
  expect(alert.text).toContain(code);
  expect(await gamesSnapshot()).toEqual([]);
  expect(await stagingCount()).toBe(0);
}

const limited = (overrides: Partial<IngestLimits>): IngestLimits => ({ ...INGEST_LIMITS, ...overrides });

beforeEach(resetIngestState);

describe("the default caps", () => {
  it("leave D1's limits a margin and are the documented figures", () => {
    expect(INGEST_LIMITS).toEqual({
      maxRecordBytes: 1_048_576,
      maxFileBytes: 1_073_741_824,
      maxGzipRatio: 200,
      gzipRatioGraceBytes: 16_777_216,
      maxRecords: 500_000,
      stagePayloadBytes: 1_900_000,
      queriesPerInvocation: 1_000,
      reservedQueries: 50,
    });
    expect(stagingBudget(INGEST_LIMITS, "f").limit).toBe(950);
  });
});

describe("QueryBudget", () => {
  it("counts queries up to its limit and refuses the next one, permanently, naming the budget", () => {
    const budget = new QueryBudget(5, "s3://b/f.json", "because");
    budget.spend(1, "query a");
    budget.spend(4, "a batch of 4");
    expect(budget.spent).toBe(5);
    let refused: unknown;
    try {
      budget.spend(1, "staging statement 6");
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(IngestError);
    expect(refused).toMatchObject({ kind: "permanent", code: "too-many-queries", message: "s3://b/f.json: staging statement 6 would be query 6, over the budget of 5 (because)" });
    // A refused spend is not counted: the budget still has nothing left, and says so again.
    expect(budget.spent).toBe(5);
    expect(() => budget.spend(1, "again")).toThrow(/query 6, over the budget of 5/);
  });

  it("a batch that would cross the limit is refused whole", () => {
    const budget = new QueryBudget(10, "f", "why");
    budget.spend(7, "first");
    expect(() => budget.spend(4, "a batch of 4")).toThrow(/a batch of 4 would be query 11/);
    budget.spend(3, "a batch of 3");
    expect(budget.spent).toBe(10);
  });

  it("the staging budget is D1's 1,000 queries per invocation minus what the rest of the file needs", () => {
    expect(() => {
      const budget = stagingBudget(limited({ queriesPerInvocation: 1_000, reservedQueries: 50 }), "s3://b/f.json");
      for (let i = 1; i <= 951; i++) budget.spend(1, `staging statement ${i}`);
    }).toThrow("s3://b/f.json: staging statement 951 would be query 951, over the budget of 950 (D1 allows 1,000 queries per invocation; 50 are kept for the claim, cleanup, commit and ledger)");
  });
});

describe("StagingPayloads", () => {
  const game = (i: number, name: string) => {
    const result = toGameRecord(iosRecord(i, { name }), null);
    if (!result.ok) throw new Error(result.reason);
    return stagingJson(result.game);
  };

  /** Packs `rows` and returns the payloads. */
  function pack(rows: string[], maxBytes: number): string[] {
    const packer = new StagingPayloads(maxBytes);
    const payloads = rows.map((r) => packer.add(r)).filter((p): p is string => p !== undefined);
    const last = packer.take();
    if (last) payloads.push(last);
    return payloads;
  }

  it("every payload stays within the cap in UTF-8 bytes, rows are kept whole and in order, and no payload could have taken the next row", () => {
    const names = ["plain", "é accents à", "🎮 emoji 🕹️", '"quoted" and \\back\\slashes (escaped)', "中文名字"];
    const rows = Array.from({ length: 500 }, (_, i) => game(i, `${names[i % names.length]} ${"x".repeat(i % 37)}`));
    for (const maxBytes of [300, 1_000, 4_096, 50_000]) {
      const payloads = pack(rows, maxBytes);
      expect(payloads.flatMap((p) => JSON.parse(p) as unknown[])).toEqual(rows.map((r) => JSON.parse(r)));
      for (const payload of payloads) expect(utf8(payload)).toBeLessThanOrEqual(maxBytes);
      // Minimal: the first row of each payload did not fit in the one before.
      for (let i = 1; i < payloads.length; i++) {
        const next = JSON.stringify((JSON.parse(payloads[i]!) as unknown[])[0]);
        expect(utf8(payloads[i - 1]!) + 1 + utf8(next), `payload ${i} at ${maxBytes}`).toBeGreaterThan(maxBytes);
      }
    }
  });

  it("a payload of exactly the cap is allowed", () => {
    const row = game(1, "a");
    const payloads = pack([row, row, row], 2 + 3 * utf8(row) + 2);
    expect(payloads).toHaveLength(1);
    expect(pack([row, row, row], 2 + 3 * utf8(row) + 1)).toHaveLength(2);
  });
});

describe("one record (or NDJSON line) larger than 1 MiB", () => {
  /** An NDJSON line of exactly `bytes` bytes holding a valid record. */
  const lineOf = (i: number, bytes: number) => {
    const shell = JSON.stringify(iosRecord(i, { pad: "" }));
    return JSON.stringify(iosRecord(i, { pad: "x".repeat(bytes - shell.length) }));
  };

  it("a 1 MiB line is ingested; a line one byte longer fails the file with record-too-large, through the real queue", async () => {
    await putObject("daily/caps/at-cap.ndjson", `${lineOf(1, 300)}\n${lineOf(2, MiB)}\n${lineOf(3, 300)}\n`);
    await runCron();
    const [atCap] = await waitForFilesSettled(1);
    expect(atCap).toMatchObject({ status: "done", records_seen: 3, records_upserted: 3 });

    await resetIngestState();
    await putObject("daily/caps/over-cap.ndjson", `${lineOf(1, 300)}\n${lineOf(2, MiB + 1)}\n${lineOf(3, 300)}\n`);
    await runCron();
    const [over] = await waitForFilesSettled(1);
    await expectRefused(over!, "record-too-large", /over-cap\.ndjson: line 2 is larger than 1,048,576 bytes, the cap per record$/);
  });
});

describe("a gzip bomb", () => {
  it("fails the file with gzip-ratio-too-high before it inflates (256 MiB of padding in 250 KB)", async () => {
    const padding = " ".repeat(MiB);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(encoder.encode("["));
        for (let i = 0; i < 256; i++) controller.enqueue(encoder.encode(padding));
        controller.enqueue(encoder.encode(`${JSON.stringify(iosRecord(1))}]`));
        controller.close();
      },
    });
    const bomb = await new Response(body.pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    expect(bomb.byteLength).toBeLessThan(MiB);
    const row = await consume("daily/caps/bomb.json.gz", bomb);
    await expectRefused(row, "gzip-ratio-too-high", /bomb\.json\.gz: gzip data inflates more than 200 times/);
  });

  it("a gzip file inflating past the file cap fails with file-too-large; at the cap it is ingested", async () => {
    const text = JSON.stringify([iosRecord(1), iosRecord(2)]);
    const packed = await gzip(text);
    const atCap = await consume("daily/caps/at-cap.json.gz", packed, limited({ maxFileBytes: utf8(text), gzipRatioGraceBytes: Infinity }));
    expect(atCap).toMatchObject({ status: "done", records_upserted: 2 });

    await resetIngestState();
    const over = await consume("daily/caps/over-cap.json.gz", packed, limited({ maxFileBytes: utf8(text) - 1, gzipRatioGraceBytes: Infinity }));
    await expectRefused(over, "file-too-large", new RegExp(`gzip data inflates past ${(utf8(text) - 1).toLocaleString("en-US")} bytes`));
  });
});

describe("a file larger than the file cap", () => {
  it("is refused from its Content-Length, before a byte is downloaded; at the cap it is ingested", async () => {
    const text = JSON.stringify([iosRecord(1), iosRecord(2)]);
    const atCap = await consume("daily/caps/at-cap.json", text, limited({ maxFileBytes: utf8(text) }));
    expect(atCap).toMatchObject({ status: "done", records_upserted: 2 });

    await resetIngestState();
    const over = await consume("daily/caps/over-cap.json", text, limited({ maxFileBytes: utf8(text) - 1 }));
    await expectRefused(over, "file-too-large", new RegExp(`the object is ${utf8(text).toLocaleString("en-US")} bytes, over the cap of ${(utf8(text) - 1).toLocaleString("en-US")} bytes per file`));
  });
});

describe("more records than one invocation can take", () => {
  /** A flat array: 3 valid games, then `count - 3` numbers (records the validator rejects cheaply). */
  const records = (count: number) => `[${JSON.stringify(iosRecord(1))},${JSON.stringify(iosRecord(2))},${JSON.stringify(iosRecord(3))}${",1".repeat(count - 3)}]`;

  it("500,000 records (the default cap) are read; 500,001 fail the file with too-many-records (generated here, ~1 MB)", async () => {
    const atCap = await consume("daily/caps/500000.json", records(500_000));
    expect(atCap).toMatchObject({ status: "done", records_seen: 500_000, records_rejected: 499_997, records_upserted: 3 });

    await resetIngestState();
    const over = await consume("daily/caps/500001.json", records(500_001));
    await expectRefused(over, "too-many-records", /500001\.json: more than 500,000 records, the cap per file$/);
  });
});

describe("staging by payload size", () => {
  /**
   * Records whose staging rows are ~5 KB: every text field at its maximum length in 3-byte UTF-8
   * characters (the most a valid field can take: control characters, which JSON would escape
   * 6-fold, are refused), and a 2 KB icon URL.
   */
  const heavy = (i: number) =>
    iosRecord(i, {
      name: `${i} ${"漢".repeat(190)}`,
      publisher_id: "漢".repeat(255),
      publisher_name: "漢".repeat(255),
      bundle_id: "漢".repeat(255),
      version: "漢".repeat(64),
      icon_url: `https://example.com/${"a".repeat(2_000)}`,
    });
  const rowOf = (record: unknown) => {
    const result = toGameRecord(record, null);
    if (!result.ok) throw new Error(result.reason);
    return stagingJson(result.game);
  };
  /** How many payloads of `maxBytes` the rows make. */
  function packedCount(rows: string[], maxBytes: number): number {
    const packer = new StagingPayloads(maxBytes);
    return rows.filter((r) => packer.add(r) !== undefined).length + (packer.take() === undefined ? 0 : 1);
  }
  /** How many rows of `rows` fit in `statements` payloads of `maxBytes`. */
  function rowsFitting(rows: string[], statements: number, maxBytes: number): number {
    const packer = new StagingPayloads(maxBytes);
    let closed = 0;
    for (let i = 0; i < rows.length; i++) {
      if (packer.add(rows[i]!) !== undefined && ++closed === statements) return i;
    }
    throw new Error("not enough rows");
  }

  it("every staging statement's JSON value stays under D1's 2,000,000 bytes, in as few statements as that allows", async () => {
    const file = Array.from({ length: 1_500 }, (_, i) => heavy(i));
    const rows = file.map(rowOf);
    const total = 2 + rows.reduce((n, r) => n + utf8(r) + 1, -1);
    expect(total).toBeGreaterThan(3 * INGEST_LIMITS.stagePayloadBytes);

    const deps = realDeps();
    const run = vi.spyOn(deps.db, "run");
    await putObject("daily/caps/heavy.json", JSON.stringify(file));
    const queue = holdingQueue();
    await runScan("manual", { ...deps, ingestQueue: queue });
    expect(await processIngestMessage(queue.held[0]!, 1, deps)).toEqual({ action: "ack" });

    const dialect = new SQLiteAsyncDialect();
    const payloads = run.mock.calls
      .map(([query]) => dialect.sqlToQuery(query as SQL))
      .filter((q) => /INSERT INTO ingest_staging/.test(q.sql))
      .map((q) => q.params.find((p): p is string => typeof p === "string" && p.startsWith("[[")));
    // Old code: 500 rows per statement, ~2.6 MB each here, which D1 refuses (SQLITE_TOOBIG).
    expect(payloads.map((p) => p !== undefined && utf8(p) <= 2_000_000)).toEqual(payloads.map(() => true));
    expect(payloads).toHaveLength(packedCount(rows, INGEST_LIMITS.stagePayloadBytes));
    expect(payloads.length).toBeLessThanOrEqual(Math.ceil(total / INGEST_LIMITS.stagePayloadBytes) + 1);
    expect((await env.DB.prepare("SELECT status, records_upserted FROM ingest_files").first())).toEqual({ status: "done", records_upserted: 1_500 });
  });

  it("a file that fills the staging budget exactly is ingested; one more record fails it with too-many-queries", async () => {
    const stagePayloadBytes = 4_000;
    const queries = { queriesPerInvocation: 53, reservedQueries: 50, stagePayloadBytes }; // 3 staging statements
    const all = Array.from({ length: 300 }, (_, i) => iosRecord(i));
    const fit = rowsFitting(all.map(rowOf), 3, stagePayloadBytes);

    const atBudget = await consume("daily/caps/fits.json", JSON.stringify(all.slice(0, fit)), limited(queries));
    expect(atBudget).toMatchObject({ status: "done", records_upserted: fit });

    await resetIngestState();
    const over = await consume("daily/caps/one-more.json", JSON.stringify(all.slice(0, fit + 1)), limited(queries));
    await expectRefused(over, "too-many-queries", /one-more\.json: staging statement 4 would be query 4, over the budget of 3 \(D1 allows 53 queries per invocation; 50 are kept/);
  });
});

describe("NDJSON files keep working under the caps", () => {
  it("a file of many short lines is not mistaken for a long one", async () => {
    const row = await consume("daily/caps/lines.ndjson", ndjson(Array.from({ length: 2_000 }, (_, i) => iosRecord(i))));
    expect(row).toMatchObject({ status: "done", records_seen: 2_000, records_upserted: 2_000 });
  });
});
