/**
 * What a game is, whichever way it arrives (the API, an ingested file) and however it is stored.
 * The drizzle schema (data/schema.ts) and the API's zod schemas (http/schemas/game.ts) are each
 * checked against these shapes at compile time, so the three cannot drift apart.
 */

/** Store platforms a game can belong to. The natural key of a game is (platform, storeId). */
export const PLATFORMS = ["ios", "android"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** A game as the API shows it (the original API's camelCase fields, plus publisherName, iconUrl, rank). */
export interface Game {
  id: number;
  publisherId: string | null;
  name: string;
  platform: Platform;
  storeId: string;
  bundleId: string | null;
  appVersion: string | null;
  isPublished: boolean;
  /** ISO-8601 UTC. */
  createdAt: string;
  updatedAt: string;
  publisherName: string | null;
  iconUrl: string | null;
  /** Best chart position in the latest ingested ranking. */
  rank: number | null;
}

/**
 * A whole game as a client writes it (POST, PUT): optional fields left out are cleared. `id`,
 * `createdAt` and `updatedAt` may be sent back as read; they are ignored (an `id` must match
 * the path).
 */
export interface GameInput {
  name: string;
  platform: Platform;
  storeId: string;
  publisherId?: string | null;
  publisherName?: string | null;
  bundleId?: string | null;
  appVersion?: string | null;
  isPublished?: boolean;
  iconUrl?: string | null;
  rank?: number | null;
  id?: number;
  createdAt?: string;
  updatedAt?: string;
}

/** Some fields of a game (PATCH): only those sent change. */
export type GamePatch = Partial<GameInput>;

/** A game as parsed from one data-team record, ready to stage. */
export interface GameRecord {
  platform: Platform;
  storeId: string;
  name: string;
  bundleId: string | null;
  publisherId: string | null;
  publisherName: string | null;
  appVersion: string | null;
  iconUrl: string | null;
  rank: number | null;
}

/** App Store ids are numeric; Play ids are Java package names. */
const STORE_ID_RULES: Record<Platform, { pattern: RegExp; hint: string }> = {
  ios: { pattern: /^[0-9]{1,20}$/, hint: "an App Store id: digits only" },
  android: {
    pattern: /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/,
    hint: "a Play package name such as com.example.game",
  },
};

/**
 * Why `storeId` is not a valid store id for `platform`, or null when it is. One rule for the
 * API's validation and for ingested records.
 */
export function storeIdProblem(platform: Platform, storeId: string): string | null {
  const rule = STORE_ID_RULES[platform];
  return rule.pattern.test(storeId) ? null : `must be ${rule.hint} for platform ${platform}`;
}
