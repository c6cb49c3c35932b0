import type { Platform } from "../data/schema";

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
