// A file's timestamp: a date named in its key (the documented patterns), refined by the object's
// LastModified within that period, else the LastModified itself, else the ledger's first sight.
import { describe, expect, it } from "vitest";
import { fileTimestamp, keyPeriod } from "../../../src/core/domain/source-time";

const DAY = 86_400_000;
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** [start, span] of a key's period as ISO text and milliseconds, for readable expectations. */
const periodOf = (key: string) => {
  const p = keyPeriod(key);
  return p && [iso(p.startMs), p.spanMs];
};

describe("dates in keys", () => {
  it.each([
    ["daily/2021-12-09/ios.top100.json", "2021-12-09T00:00:00.000Z", DAY],
    ["daily/dt=2021-12-09/part-0.json", "2021-12-09T00:00:00.000Z", DAY],
    ["daily/ios-2021-12-09T03:15.json", "2021-12-09T03:15:00.000Z", 60_000],
    ["daily/ios-2021-12-09T031507Z.json", "2021-12-09T03:15:07.000Z", 1_000],
    ["daily/ios_2021-12-09_03:15:07.123Z.ndjson", "2021-12-09T03:15:07.000Z", 1_000],
    ["daily/ios 2021-12-09 0315.json", "2021-12-09T03:15:00.000Z", 60_000],
    ["daily/ios-20211209.json", "2021-12-09T00:00:00.000Z", DAY],
    ["daily/20211209/ios.json", "2021-12-09T00:00:00.000Z", DAY],
    ["daily/ios-20211209T0315.json", "2021-12-09T03:15:00.000Z", 60_000],
    ["daily/ios-20211209_031507.json.gz", "2021-12-09T03:15:07.000Z", 1_000],
    ["daily/202112090315.json", "2021-12-09T03:15:00.000Z", 60_000],
    ["daily/2021/12/09/ios.json", "2021-12-09T00:00:00.000Z", DAY],
    ["2021/12/09/ios.json", "2021-12-09T00:00:00.000Z", DAY],
    ["daily/2021/12/09/03/ios.json", "2021-12-09T03:00:00.000Z", 3_600_000],
    ["daily/2021/12/09", "2021-12-09T00:00:00.000Z", DAY],
    ["daily/2024-02-29/leap.json", "2024-02-29T00:00:00.000Z", DAY],
  ])("%s names %s (span %i ms)", (key, start, span) => {
    expect(periodOf(key)).toEqual([start, span]);
  });

  it("the last date in the key counts: the file name is more specific than its folder", () => {
    expect(periodOf("daily/2021-12-09/ios-2021-12-10T0300.json")).toEqual(["2021-12-10T03:00:00.000Z", 60_000]);
    expect(periodOf("daily/2021/12/09/fix-20211208.json")).toEqual(["2021-12-08T00:00:00.000Z", DAY]);
    expect(periodOf("daily/backfill/2021-11-01/ios.json")).toEqual(["2021-11-01T00:00:00.000Z", DAY]);
  });

  it.each([
    "daily/latest.json",
    "daily/manual-fix.json",
    "daily/ios.top100.json",
    "daily/2021-13-01/ios.json", // month 13
    "daily/2021-02-29/ios.json", // not a leap year
    "daily/2021-12-32/ios.json",
    "daily/1999-12-09/ios.json", // outside 2000–2099
    "daily/2100-01-01/ios.json",
    "daily/app-1234567890.json", // 10 digits: an id, not a date
    "daily/app-123456789012345.json",
    "daily/x2021-12-091/ios.json", // digits run on
    "daily/2021_12_09/ios.json", // not a documented pattern
    "daily/2021/12/9/ios.json",
  ])("%s names no date", (key) => {
    expect(keyPeriod(key)).toBeUndefined();
  });

  it("an impossible time is ignored: the date alone names the day", () => {
    expect(periodOf("daily/ios-2021-12-09T2560.json")).toEqual(["2021-12-09T00:00:00.000Z", DAY]);
    expect(periodOf("daily/ios-20211209T126100.json")).toEqual(["2021-12-09T00:00:00.000Z", DAY]);
    expect(periodOf("daily/2021-12-09-10-30/ios.json")).toEqual(["2021-12-09T00:00:00.000Z", DAY]);
    expect(periodOf("daily/2021/12/09/25/ios.json")).toEqual(["2021-12-09T00:00:00.000Z", DAY]);
  });
});

describe("fileTimestamp", () => {
  const createdAt = "2030-01-01T00:00:00.000Z";

  it("a dated key uploaded within its day is from its upload time", () => {
    expect(fileTimestamp({ key: "daily/2021-12-09/ios.json", lastModified: "2021-12-09T03:00:12.345Z", createdAt })).toBe("2021-12-09T03:00:12.345Z");
  });

  it("a dated key uploaded after its day is from the last millisecond of that day (a late upload or a backfill)", () => {
    expect(fileTimestamp({ key: "daily/2021-12-09/ios.json", lastModified: "2022-01-15T10:00:00.000Z", createdAt })).toBe("2021-12-09T23:59:59.999Z");
    expect(fileTimestamp({ key: "daily/2021/12/09/03/ios.json", lastModified: "2021-12-09T05:00:00.000Z", createdAt })).toBe("2021-12-09T03:59:59.999Z");
  });

  it("a dated key uploaded before its period is from the period's start", () => {
    expect(fileTimestamp({ key: "daily/2021-12-10/ios.json", lastModified: "2021-12-09T22:00:00.000Z", createdAt })).toBe("2021-12-10T00:00:00.000Z");
  });

  it("a key with a time to the second is from that second, whatever the upload time", () => {
    expect(fileTimestamp({ key: "daily/ios-20211209T031507.json", lastModified: "2021-12-09T03:20:00.000Z", createdAt })).toBe("2021-12-09T03:15:07.999Z");
  });

  it("a dated key without LastModified is from the period's start", () => {
    expect(fileTimestamp({ key: "daily/2021-12-09/ios.json", lastModified: null, createdAt })).toBe("2021-12-09T00:00:00.000Z");
  });

  it("an undated key is from its LastModified, normalised to milliseconds", () => {
    expect(fileTimestamp({ key: "daily/latest.json", lastModified: "2021-12-09T03:00:00Z", createdAt })).toBe("2021-12-09T03:00:00.000Z");
    expect(fileTimestamp({ key: "daily/latest.json", lastModified: "Thu, 09 Dec 2021 03:00:00 GMT", createdAt })).toBe("2021-12-09T03:00:00.000Z");
  });

  it("an undated key without a usable LastModified is from when the ledger first saw it", () => {
    expect(fileTimestamp({ key: "daily/latest.json", lastModified: null, createdAt })).toBe(createdAt);
    expect(fileTimestamp({ key: "daily/latest.json", lastModified: "yesterday", createdAt })).toBe(createdAt);
  });

  it("timestamps compare as text in time order (fixed width)", () => {
    const times = [
      fileTimestamp({ key: "daily/2021-12-09/ios.json", lastModified: "2021-12-20T00:00:00Z", createdAt }),
      fileTimestamp({ key: "daily/latest.json", lastModified: "2021-12-10T00:00:00.5Z", createdAt }),
      fileTimestamp({ key: "daily/2021-12-10/ios.json", lastModified: "2021-12-10T00:00:01Z", createdAt }),
      fileTimestamp({ key: "daily/2021-12-11/ios.json", lastModified: null, createdAt }),
    ];
    expect([...times].sort()).toEqual(times);
    expect(new Set(times.map((t) => t.length))).toEqual(new Set([24]));
  });
});
