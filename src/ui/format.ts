const numberFormat = new Intl.NumberFormat("en");

export const formatNumber = (n: number | null | undefined) => (n === null || n === undefined ? "–" : numberFormat.format(n));

/** "3 min ago", for a timestamp; the exact time goes in a title/datetime attribute. */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** The sentence for an action the key has no scope for, whether the API refused it (403) or the UI disabled it. */
export function missingScope(scope: string, granted: readonly string[] | null | undefined): string {
  return `This key lacks the ${scope} scope${granted?.length ? ` (it has: ${granted.join(", ")})` : ""}.`;
}
