import type { Scope } from "./scopes";

/** An API key as the API shows it: everything but its hash (the key itself is never stored). */
export interface ApiKey {
  id: number;
  name: string;
  /** The first characters of the key, safe to display; never enough to use it. */
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  /** Updated at most every 5 minutes. */
  lastUsedAt: string | null;
  revokedAt: string | null;
}
