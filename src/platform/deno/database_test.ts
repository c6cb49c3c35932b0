// `deno test src/platform/deno/` (run by test/node/deno-unit.test.ts in `npm test`): the drizzle
// Database over node:sqlite — the project's migrations, the row shapes drizzle expects, D1's
// shapes for raw SQL, and an atomic batch.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq, sql } from "drizzle-orm";
import { games } from "../../core/data/schema";
import { applyMigrations, createDatabase } from "./database";

const MIGRATIONS = join(fileURLToPath(new URL("../../../", import.meta.url)), "migrations");
const now = new Date().toISOString();
const game = (storeId: string, name: string) => ({ platform: "ios" as const, storeId, name, createdAt: now, updatedAt: now });

function open() {
  const handle = createDatabase(":memory:");
  const applied = applyMigrations(handle.sqlite, MIGRATIONS);
  return { ...handle, applied };
}

Deno.test("applies every migration once, tracked in d1_migrations", () => {
  const { sqlite, applied, close } = open();
  const files = [...Deno.readDirSync(MIGRATIONS)].map((e) => e.name).filter((n) => n.endsWith(".sql")).sort();
  assert.deepEqual(applied, files);
  assert.deepEqual(applyMigrations(sqlite, MIGRATIONS), []);
  const rows = sqlite.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[];
  assert.deepEqual(rows.map((r) => r.name), files);
  close();
});

Deno.test("query builders map rows (booleans, nulls, returning); raw SQL gives D1's plain objects", async () => {
  const { db, close } = open();
  const [created] = await db.insert(games).values({ ...game("1", "Minecraft Earth"), isPublished: true }).returning();
  assert.equal(created!.isPublished, true);
  assert.equal(created!.rank, null);
  const [row] = await db.select().from(games).where(eq(games.id, created!.id));
  assert.deepEqual(row, created);
  const raw = await db.all<{ id: number; name: string }>(sql`SELECT id, name FROM games`);
  assert.deepEqual(raw, [{ id: created!.id, name: "Minecraft Earth" }]);
  assert.equal(Object.getPrototypeOf(raw[0]), Object.prototype);
  assert.deepEqual(await db.get(sql`SELECT count(*) AS n FROM games`), { n: 1 });
  const run = (await db.run(sql`UPDATE games SET rank = 3`)) as unknown as { meta: { changes: number } };
  assert.equal(run.meta.changes, 1);
  // The FTS5 trigram index of the migrations answers substring matches.
  const found = await db.all<{ rowid: number }>(sql`SELECT rowid FROM games_fts WHERE games_fts MATCH '"ecraft ea"'`);
  assert.deepEqual(found, [{ rowid: created!.id }]);
  close();
});

Deno.test("a batch is atomic: one failing statement rolls back the others", async () => {
  const { db, close } = open();
  await db.insert(games).values(game("1", "Kept"));
  await assert.rejects(db.batch([db.update(games).set({ name: "Changed" }), db.insert(games).values(game("1", "Duplicate natural key"))]), /UNIQUE constraint failed/);
  assert.deepEqual((await db.select({ name: games.name }).from(games)).map((g) => g.name), ["Kept"]);
  const [updated, inserted, count] = await db.batch([
    db.update(games).set({ name: "Renamed" }).returning({ name: games.name }),
    db.insert(games).values(game("2", "Second")).returning({ id: games.id }),
    db.all<{ n: number }>(sql`SELECT count(*) AS n FROM games`),
  ]);
  assert.deepEqual(updated, [{ name: "Renamed" }]);
  assert.equal(inserted.length, 1);
  assert.deepEqual(count, [{ n: 2 }]);
  close();
});
