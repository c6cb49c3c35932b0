import { z } from "zod";
import { PLATFORMS, storeIdProblem, type GameRecord } from "../domain/game";
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacter, replaceLoneSurrogates } from "../domain/text";

const text = (max: number, min = 0) =>
  z
    .string()
    .min(min, "is empty")
    .max(max, `longer than ${max} characters`)
    // The API refuses the same characters in the same fields (src/core/domain/text.ts): a game it
    // would not accept is not ingested either.
    .refine((v) => !hasControlCharacter(v), CONTROL_CHARACTER_MESSAGE)
    // Lone surrogates are seen in real exports; the API applies the same rule.
    .transform(replaceLoneSurrogates);
const optionalText = (max: number) => text(max).nullish().transform((v) => (v === "" ? null : (v ?? null)));
/** Store ids are numbers in iOS exports and strings in Android ones. */
const idAsText = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? String(v) : v);
const id = z.preprocess(idAsText, text(255, 1));

/**
 * The fields Game DB takes from a record (about 50 arrive; the rest are ignored). A record
 * that does not fit is rejected with the reason; it never fails the file.
 */
const RecordSchema = z
  .object({
    os: z.enum(PLATFORMS, { error: 'os must be "ios" or "android"' }),
    app_id: id.optional(),
    id: id.optional(),
    name: text(200).pipe(z.string().trim().min(1, "name is empty")),
    publisher_id: id.nullish(),
    publisher_name: optionalText(255),
    bundle_id: optionalText(255),
    version: optionalText(64),
    // An empty icon is no icon, like the other optional text fields.
    // Checked for control characters first: the URL check drops tabs and newlines silently.
    icon_url: z.preprocess(
      (v) => (v === "" ? null : v),
      z.string().refine((v) => !hasControlCharacter(v), CONTROL_CHARACTER_MESSAGE).pipe(z.url({ protocol: /^https?$/ }).max(2048)).nullish(),
    ),
    rank: z.number().int().min(1).max(1_000_000).nullish(),
  })
  .superRefine((r, ctx) => {
    const storeId = r.app_id ?? r.id;
    if (storeId === undefined) {
      ctx.addIssue({ code: "custom", path: ["app_id"], message: "app_id (or id) is missing" });
      return;
    }
    const problem = storeIdProblem(r.os, storeId);
    if (problem) ctx.addIssue({ code: "custom", path: ["app_id"], message: `app_id ${problem}` });
  });

export type RecordResult = { ok: true; game: GameRecord } | { ok: false; reason: string };

/**
 * Validates one record. `group` is the record's 0-based group in the grouped layout: its chart
 * position, used as the rank when the record carries none.
 *
 * Most records are plainly valid, and checking those by hand costs a tenth of what zod does
 * (docs/BENCHMARKS.md); everything else — every rejection, so every message — goes through the
 * schema. Both paths give the same result for every record (test/core/ingest/record.test.ts
 * checks it on generated records).
 */
export function toGameRecord(value: unknown, group: number | null): RecordResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "record is not a JSON object" };
  }
  const game = plainlyValidGame(value as Record<string, unknown>, group);
  return game ? { ok: true, game } : toGameRecordBySchema(value, group);
}

/** `toGameRecord` by the zod schema alone: the reference the hand-checked path must agree with. */
export function toGameRecordBySchema(value: unknown, group: number | null): RecordResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "record is not a JSON object" };
  }
  const parsed = RecordSchema.safeParse(value);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 3)
      .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    return { ok: false, reason };
  }
  const r = parsed.data;
  return {
    ok: true,
    game: {
      platform: r.os,
      storeId: (r.app_id ?? r.id)!,
      name: r.name,
      bundleId: r.bundle_id,
      publisherId: r.publisher_id ?? null,
      publisherName: r.publisher_name,
      appVersion: r.version,
      iconUrl: r.icon_url ?? null,
      rank: r.rank ?? (group !== null ? group + 1 : null),
    },
  };
}

/** A field the hand-checked path leaves to the schema. */
const UNSURE = Symbol("unsure");

/** `text(max, min)`'s result for a plainly valid string, else UNSURE. */
function plainText(v: unknown, max: number, min = 0): string | typeof UNSURE {
  if (typeof v !== "string" || v.length < min || v.length > max || hasControlCharacter(v)) return UNSURE;
  return replaceLoneSurrogates(v);
}

/** `optionalText(max)`'s result for a plainly valid value, else UNSURE. */
function plainOptionalText(v: unknown, max: number): string | null | typeof UNSURE {
  if (v === undefined || v === null || v === "") return null;
  return plainText(v, max);
}

/** `id`'s result for a plainly valid value, else UNSURE. */
const plainId = (v: unknown) => plainText(idAsText(v), 255, 1);

/** An http(s) URL the schema would accept unchanged: no surrounding spaces, a lower-case scheme. */
const PLAIN_URL = /^https?:\/\//;

/**
 * The game of a record that the schema would plainly accept, built the way the schema builds
 * it; undefined when in any doubt, to let the schema decide (and word the reasons). Exported for
 * its tests: the sample files' records must all take this path.
 */
export function plainlyValidGame(r: Record<string, unknown>, group: number | null): GameRecord | undefined {
  const platform = r.os;
  if (platform !== "ios" && platform !== "android") return undefined;
  const appId = r.app_id === undefined ? undefined : plainId(r.app_id);
  const otherId = r.id === undefined ? undefined : plainId(r.id);
  if (appId === UNSURE || otherId === UNSURE) return undefined;
  const storeId = appId ?? otherId;
  if (storeId === undefined || storeIdProblem(platform, storeId) !== null) return undefined;
  const rawName = plainText(r.name, 200);
  if (rawName === UNSURE) return undefined;
  const name = rawName.trim();
  if (name.length === 0) return undefined;
  const publisherId = r.publisher_id === undefined || r.publisher_id === null ? null : plainId(r.publisher_id);
  const publisherName = plainOptionalText(r.publisher_name, 255);
  const bundleId = plainOptionalText(r.bundle_id, 255);
  const appVersion = plainOptionalText(r.version, 64);
  if (publisherId === UNSURE || publisherName === UNSURE || bundleId === UNSURE || appVersion === UNSURE) return undefined;
  let iconUrl: string | null = null;
  const icon = r.icon_url;
  if (icon !== undefined && icon !== null && icon !== "") {
    if (typeof icon !== "string" || icon.length > 2048 || !PLAIN_URL.test(icon) || icon.trim() !== icon || hasControlCharacter(icon) || !URL.canParse(icon)) return undefined;
    iconUrl = icon;
  }
  let rank: number | null = null;
  const recordRank = r.rank;
  if (recordRank !== undefined && recordRank !== null) {
    if (typeof recordRank !== "number" || !Number.isInteger(recordRank) || recordRank < 1 || recordRank > 1_000_000) return undefined;
    rank = recordRank;
  }
  return { platform, storeId, name, bundleId, publisherId, publisherName, appVersion, iconUrl, rank: rank ?? (group !== null ? group + 1 : null) };
}
