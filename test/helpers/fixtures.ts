import android from "../fixtures/android.top100.json";
import ios from "../fixtures/ios.top100.json";

export const iosFixture = ios as unknown[][];
export const androidFixture = android as unknown[][];

/**
 * Distinct (platform, storeId) of the usable records of a grouped fixture, computed straight
 * from the file: what ingesting it must store. (The iOS sample has one empty `{}` record.)
 */
export function distinctApps(groups: unknown[][]): Set<string> {
  const keys = new Set<string>();
  for (const record of groups.flat() as Record<string, unknown>[]) {
    if ((record.os === "ios" || record.os === "android") && typeof record.name === "string" && record.app_id !== undefined) {
      keys.add(`${record.os}:${record.app_id}`);
    }
  }
  return keys;
}
