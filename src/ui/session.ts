// The API key lives in sessionStorage only: it survives reloads of this tab, is gone when the
// tab closes, and never appears in a URL or a cookie.
const STORAGE_KEY = "game-db.api-key";

export function loadKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** What the header shows of a key: its first 12 characters, the `prefix` the API lists keys by. */
export function maskKey(key: string): string {
  return key.length > 16 ? `${key.slice(0, 12)}…` : "…";
}
