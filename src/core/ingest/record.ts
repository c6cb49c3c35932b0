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
const id = z.preprocess((v) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? String(v) : v), text(255, 1));

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
 */
export function toGameRecord(value: unknown, group: number | null): RecordResult {
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
