export const SCOPES = ["games:read", "games:write", "ingest:read", "ingest:run", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: a stored key, or the bootstrap ADMIN_API_KEY secret (id "admin"). */
export interface Principal {
  keyId: number | "admin";
  name: string;
  scopes: readonly Scope[];
}

/** `admin` holds every scope, so the bootstrap key can operate the whole service. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}
