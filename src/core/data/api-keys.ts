import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import type { ApiKey } from "../domain/api-key";
import type { Scope } from "../domain/scopes";
import type { Database } from "./database";
import { apiKeys, type ApiKeyRow } from "./schema";

/** The public view of a stored key: everything but its hash. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  const { hash: _hash, ...visible } = row;
  return { ...visible, scopes: visible.scopes as Scope[] };
}

export function apiKeysRepository(db: Database) {
  return {
    async insert(values: Omit<ApiKeyRow, "id" | "lastUsedAt" | "revokedAt">): Promise<ApiKeyRow> {
      const [row] = await db.insert(apiKeys).values(values).returning();
      return row!;
    },

    list(): Promise<ApiKeyRow[]> {
      return db.select().from(apiKeys).orderBy(asc(apiKeys.id));
    },

    async findById(id: number): Promise<ApiKeyRow | undefined> {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
      return row;
    },

    async findByHash(hash: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).limit(1);
      return row;
    },

    /** Sets revoked_at once; returns the row only if this call revoked it. */
    async revoke(id: number, at: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning();
      return row;
    },

    /**
     * Records use of a key that is not revoked, unless another request already did so after
     * `staleBefore`. Returns the row only when it wrote: proof, from the same statement, that
     * the key was not revoked at that moment.
     */
    async touch(id: number, at: string, staleBefore: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db
        .update(apiKeys)
        .set({ lastUsedAt: at })
        .where(
          and(
            eq(apiKeys.id, id),
            isNull(apiKeys.revokedAt),
            or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore)),
          ),
        )
        .returning();
      return row;
    },
  };
}
