// What the key in use may do, so that the UI offers only actions the API will accept and says
// why the others are disabled. The API has no "who am I" route; what it does have:
//  - GET /api/keys needs the `admin` scope, which holds every other scope;
//  - every 403 carries the key's scopes (`grantedScopes`, src/core/http/middleware/authenticate.ts).
// So one GET /api/keys tells both: 200 → admin, 403 → exactly the key's scopes, 401 → no valid
// key. A key's scopes never change (a key is revoked, not edited), so this is asked once per
// page load.
import type { Scope } from "../core/domain/scopes";
import { ApiError, call } from "./api";
import { missingScope } from "./format";

export type { Scope };

/** The key's scopes as the API reports them (see above). Throws what the API answered otherwise (401, 429, network). */
export async function probeScopes(signal?: AbortSignal): Promise<Scope[]> {
  try {
    await call((api, init) => api.GET("/api/keys", { ...init, ...(signal ? { signal } : {}) }));
    return ["admin"];
  } catch (error) {
    if (error instanceof ApiError && error.status === 403 && Array.isArray(error.problem.grantedScopes)) return error.problem.grantedScopes as Scope[];
    throw error;
  }
}

export interface Access {
  /** Whether the key may do what needs `scope`; true while the scopes are unknown (the API still decides). */
  can(scope: Scope): boolean;
  /** Why the key may not: a sentence naming the scope and the key's own. */
  why(scope: Scope): string;
}

export function accessFor(scopes: readonly Scope[] | null): Access {
  const can = (scope: Scope) => scopes === null || scopes.includes("admin") || scopes.includes(scope);
  return {
    can,
    why: (scope) => missingScope(scope, scopes),
  };
}
