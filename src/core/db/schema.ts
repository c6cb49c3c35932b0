import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Store platforms a game can belong to. The natural key of a game is (platform, storeId). */
export const PLATFORMS = ["ios", "android"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const games = sqliteTable(
  "games",
  {
    // AUTOINCREMENT: an id is never reused after a delete, so a client's stale id cannot
    // silently point at a different game.
    id: integer("id").primaryKey({ autoIncrement: true }),
    platform: text("platform", { enum: PLATFORMS }).notNull(),
    storeId: text("store_id").notNull(),
    bundleId: text("bundle_id"),
    name: text("name").notNull(),
    publisherId: text("publisher_id"),
    publisherName: text("publisher_name"),
    appVersion: text("app_version"),
    isPublished: integer("is_published", { mode: "boolean" }).notNull().default(false),
    iconUrl: text("icon_url"),
    rank: integer("rank"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("games_platform_store_id_uq").on(t.platform, t.storeId),
    // Keyset pagination filtered by platform walks this index instead of the table.
    index("games_platform_id_idx").on(t.platform, t.id),
    check("games_platform_ck", sql`${t.platform} IN ('ios', 'android')`),
  ],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** The first characters of the key, safe to display; never enough to use it. */
    prefix: text("prefix").notNull(),
    /** Hex SHA-256 of the whole key. The key itself is never stored. */
    hash: text("hash").notNull(),
    /** JSON array of scopes. */
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.hash)],
);

export type GameRow = typeof games.$inferSelect;
export type NewGameRow = typeof games.$inferInsert;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
