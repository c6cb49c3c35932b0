/**
 * When a data file's contents are from: the time that orders files, so that newer data wins
 * whatever the keys look like (`daily/latest.json`, `daily/manual-fix.json`, a backfill folder).
 *
 * - A key that names a date (or a date and time) is from that period, refined by the object's
 *   LastModified when the upload falls inside it and clamped to the period otherwise: the daily
 *   file of 2021-12-09 uploaded at 03:00 that day is from 03:00; a backfill of 2021-12-09
 *   uploaded a month later is from 2021-12-09T23:59:59.999Z, older than anything uploaded after
 *   that day; a file whose key names tomorrow is from tomorrow 00:00, however early it arrived.
 * - A key without a date is from its LastModified (S3 sets it when the upload completes).
 * - Without either (a store that lists no LastModified), from when the ledger first saw it.
 *
 * Dates in keys (all UTC; the LAST one in the key counts, since a file name is more specific
 * than its folders; a year outside 2000–2099 or an impossible date is not a date):
 * - `YYYY-MM-DD`, optionally followed by `T`, `_`, `-` or a space and `HH:MM`, `HH:MM:SS`,
 *   `HHMM` or `HHMMSS` (fractions and a trailing `Z` are allowed; other offsets are not read);
 * - `YYYYMMDD` as a run of exactly 8 digits, optionally followed by `HHMM` or `HHMMSS` (with or
 *   without a `T`, `_`, `-` or space before it);
 * - `YYYY/MM/DD` as path segments, optionally followed by an `HH` segment (Firehose-style
 *   `2021/12/09/03/…`).
 */

export interface FileForTime {
  key: string;
  /** ListObjectsV2's LastModified, as stored in the ledger (ISO-8601), or null. */
  lastModified: string | null;
  /** When the ledger first recorded this file version (ISO-8601). */
  createdAt: string;
}

/** The period a key's date names: [startMs, startMs + spanMs). */
export interface KeyPeriod {
  startMs: number;
  spanMs: number;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const TIME = String.raw`(?:[T_ -](\d{2}):?(\d{2})(?::?(\d{2})(?:\.\d{1,9})?)?Z?)?`;
const PATTERNS = [
  new RegExp(String.raw`(?<!\d)(\d{4})-(\d{2})-(\d{2})${TIME}(?!\d)`, "g"),
  new RegExp(String.raw`(?<!\d)(\d{4})(\d{2})(\d{2})(?:[T_ -]?(\d{2})(\d{2})(\d{2})?Z?)?(?!\d)`, "g"),
  // The hour segment is read only when another segment (or the file) follows it.
  /(?<![^/])(\d{4})\/(\d{2})\/(\d{2})(?:\/(\d{2})(?=\/))?(?=\/|$)/g,
];

interface Found extends KeyPeriod {
  end: number;
}

/** A UTC period from matched digits, or undefined when they are not a real date and time. */
function period(parts: (string | undefined)[], hourOnly: boolean): KeyPeriod | undefined {
  const [year, month, day, hour, minute, second] = parts.map((p) => (p === undefined ? undefined : Number(p)));
  if (year! < 2000 || year! > 2099 || month! < 1 || month! > 12 || day! < 1) return undefined;
  const startOfDay = Date.UTC(year!, month! - 1, day!);
  if (new Date(startOfDay).getUTCDate() !== day) return undefined; // 2021-02-30
  // An impossible time (25:60) is ignored: the date alone still names the day.
  const wholeDay = { startMs: startOfDay, spanMs: DAY };
  if (hour === undefined || hour > 23) return wholeDay;
  if (hourOnly) return { startMs: startOfDay + hour * HOUR, spanMs: HOUR };
  if (minute === undefined || minute > 59 || (second !== undefined && second > 59)) return wholeDay;
  const start = startOfDay + hour * HOUR + minute * MINUTE + (second ?? 0) * SECOND;
  return { startMs: start, spanMs: second === undefined ? MINUTE : SECOND };
}

/** The period the key's last date names, or undefined when the key names none. */
export function keyPeriod(key: string): KeyPeriod | undefined {
  let best: Found | undefined;
  PATTERNS.forEach((pattern, which) => {
    for (const match of key.matchAll(pattern)) {
      const found = period(match.slice(1), which === 2);
      if (!found) continue;
      const end = match.index + match[0].length;
      if (!best || end > best.end || (end === best.end && found.spanMs < best.spanMs)) best = { ...found, end };
    }
  });
  return best && { startMs: best.startMs, spanMs: best.spanMs };
}

const parseTime = (text: string | null): number | undefined => {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * The file's timestamp as ISO-8601 UTC with milliseconds (`2021-12-09T03:00:00.000Z`), a fixed
 * width so that comparing the text compares the times.
 */
export function fileTimestamp(file: FileForTime): string {
  const uploaded = parseTime(file.lastModified);
  const named = keyPeriod(file.key);
  let ms: number;
  if (named) {
    const last = named.startMs + named.spanMs - 1;
    ms = uploaded === undefined ? named.startMs : Math.min(Math.max(uploaded, named.startMs), last);
  } else {
    ms = uploaded ?? parseTime(file.createdAt) ?? 0;
  }
  return new Date(ms).toISOString();
}
