import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { InvocationBudget } from "./invocation";
import { limitedD1 } from "./limited-d1";
import { D1_LIMITS } from "./platform-limits";

// The limited D1 is the real local D1 (rows land in env.DB) that refuses, with production's
// errors, what production refuses and Miniflare lets through.

const fresh = () => {
  const budget = new InvocationBudget();
  return { db: limitedD1(env.DB, () => budget), budget };
};
const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

beforeAll(async () => {
  await env.DB.exec("CREATE TABLE IF NOT EXISTS limits_probe (id INTEGER PRIMARY KEY, v)");
});

describe("bound parameters per statement", () => {
  it("100 pass; 101 fail with D1's too-many-variables error, alone or in a batch", async () => {
    const { db } = fresh();
    const ok = await db.prepare(`SELECT ${placeholders(100)}`).bind(...Array(100).fill(1)).raw();
    expect(ok[0]).toHaveLength(100);
    const tooMany = db.prepare(`SELECT ${placeholders(101)}`).bind(...Array(101).fill(1));
    await expect(tooMany.all()).rejects.toThrow(/^D1_ERROR: too many SQL variables at offset \d+: SQLITE_ERROR$/);
    await expect(db.batch([db.prepare("SELECT 1"), tooMany])).rejects.toThrow(/^D1_ERROR: too many SQL variables/);
  });
});

describe("SQL statement length", () => {
  const statementOf = (bytes: number, filler = "x") => {
    const head = "SELECT 1 AS one /*";
    const tail = "*/";
    return head + filler.repeat((bytes - head.length - tail.length) / new TextEncoder().encode(filler).length) + tail;
  };

  it("100,000 bytes pass; 100,001 fail with statement too long", async () => {
    const { db } = fresh();
    expect(await db.prepare(statementOf(D1_LIMITS.statementBytes)).first("one")).toBe(1);
    await expect(db.prepare(statementOf(D1_LIMITS.statementBytes + 1)).run()).rejects.toThrow("D1_ERROR: statement too long: SQLITE_TOOBIG");
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const { db } = fresh();
    // 50,001 two-byte characters: fewer than 100,000 characters, more than 100,000 bytes.
    const statement = `SELECT 1 /*${"é".repeat(50_001)}*/`;
    expect(statement.length).toBeLessThan(D1_LIMITS.statementBytes);
    await expect(db.prepare(statement).all()).rejects.toThrow("D1_ERROR: statement too long: SQLITE_TOOBIG");
  });
});

describe("string and BLOB values", () => {
  it("a bound string of 2,000,000 bytes passes; 2,000,001 fails and writes nothing", async () => {
    const { db } = fresh();
    await db.prepare("INSERT INTO limits_probe (id, v) VALUES (1, ?)").bind("x".repeat(D1_LIMITS.valueBytes)).run();
    const insert = db.prepare("INSERT INTO limits_probe (id, v) VALUES (2, ?)").bind("x".repeat(D1_LIMITS.valueBytes + 1));
    await expect(insert.run()).rejects.toThrow("D1_ERROR: string or blob too big: SQLITE_TOOBIG");
    const rows = await env.DB.prepare("SELECT id, length(v) AS n FROM limits_probe ORDER BY id").all();
    expect(rows.results).toEqual([{ id: 1, n: D1_LIMITS.valueBytes }]);
  });

  it("counts a string's UTF-8 bytes, and a BLOB's bytes", async () => {
    const { db } = fresh();
    const twoByteChars = "é".repeat(D1_LIMITS.valueBytes / 2 + 1);
    await expect(db.prepare("SELECT length(?)").bind(twoByteChars).all()).rejects.toThrow("D1_ERROR: string or blob too big");
    await expect(db.prepare("SELECT length(?)").bind(new Uint8Array(D1_LIMITS.valueBytes + 1)).all()).rejects.toThrow("string or blob too big");
    expect(await db.prepare("SELECT length(?) AS n").bind(new Uint8Array(D1_LIMITS.valueBytes)).first("n")).toBe(D1_LIMITS.valueBytes);
  });

  it("a value the statement produces is held to the same limit", async () => {
    const { db } = fresh();
    const produce = (n: number) => db.prepare("SELECT substr(hex(zeroblob(?)), 1, ?) AS v").bind(Math.ceil(n / 2), n);
    expect(((await produce(D1_LIMITS.valueBytes).first("v")) as string).length).toBe(D1_LIMITS.valueBytes);
    await expect(produce(D1_LIMITS.valueBytes + 1).all()).rejects.toThrow("D1_ERROR: string or blob too big: SQLITE_TOOBIG");
  });

  it("one statement over the limit fails the whole batch, which writes nothing", async () => {
    const { db } = fresh();
    const batch = db.batch([
      db.prepare("INSERT INTO limits_probe (id, v) VALUES (10, 'a')"),
      db.prepare("INSERT INTO limits_probe (id, v) VALUES (11, ?)").bind("x".repeat(D1_LIMITS.valueBytes + 1)),
    ]);
    await expect(batch).rejects.toThrow("D1_ERROR: string or blob too big");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM limits_probe WHERE id IN (10, 11)").first("n")).toBe(0);
  });
});

describe("queries per invocation", () => {
  it("1,000 pass; the 1,001st fails with the runtime's invocation limit", async () => {
    const { db, budget } = fresh();
    const one = db.prepare("SELECT 1");
    for (let i = 0; i < D1_LIMITS.queriesPerInvocation; i++) await one.first();
    expect(budget.d1Queries).toBe(1000);
    await expect(one.first()).rejects.toThrow("D1_ERROR: Too many API requests by single worker invocation.");
  });

  it("a batch counts each of its statements", async () => {
    const { db } = fresh();
    await db.batch(Array.from({ length: 999 }, () => db.prepare("SELECT 1")));
    await expect(db.batch([db.prepare("SELECT 1"), db.prepare("SELECT 2")])).rejects.toThrow("Too many API requests by single worker invocation.");
    expect(await db.prepare("SELECT 1 AS one").first("one")).toBe(1);
  });

  it("another invocation starts with a fresh budget", async () => {
    const first = fresh();
    await first.db.batch(Array.from({ length: 1000 }, () => first.db.prepare("SELECT 1")));
    await expect(first.db.prepare("SELECT 1").all()).rejects.toThrow("Too many API requests");
    expect(await fresh().db.prepare("SELECT 1 AS one").first("one")).toBe(1);
  });
});

describe("drizzle over the limited D1", () => {
  it("queries, batches and sees the real database", async () => {
    const { db, budget } = fresh();
    const orm = drizzle(db);
    await orm.batch([orm.run(sql`INSERT INTO limits_probe (id, v) VALUES (20, 'drizzle')`), orm.run(sql`INSERT INTO limits_probe (id, v) VALUES (21, 'too')`)]);
    expect(await orm.all(sql`SELECT id, v FROM limits_probe WHERE id >= 20 ORDER BY id`)).toEqual([
      { id: 20, v: "drizzle" },
      { id: 21, v: "too" },
    ]);
    expect(budget.d1Queries).toBe(3);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM limits_probe WHERE id >= 20").first("n")).toBe(2);
  });

  it("a drizzle insert of 101 parameters fails as D1 would", async () => {
    const { db } = fresh();
    const values = Array.from({ length: 101 }, (_, i) => sql`${i}`);
    await expect(drizzle(db).all(sql`SELECT ${sql.join(values, sql`, `)}`)).rejects.toThrow(
      expect.objectContaining({ cause: expect.objectContaining({ message: expect.stringMatching(/^D1_ERROR: too many SQL variables/) }) }),
    );
  });
});
