import { forgetKey } from "../auth/authenticator";
import { sha256Hex } from "../auth/digest";
import { displayPrefix, generateApiKey } from "../auth/key-format";
import type { Scope } from "../auth/scopes";
import type { ApiKeyRow } from "../db/schema";
import { notFound } from "../errors";
import type { AppDeps } from "../http/env";
import { apiKeysRepository } from "../repositories/api-keys";

export function apiKeysService(deps: Pick<AppDeps, "db" | "kv">) {
  const repo = apiKeysRepository(deps.db);
  return {
    /** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
    async create(name: string, scopes: Scope[]): Promise<{ row: ApiKeyRow; key: string }> {
      const key = generateApiKey();
      const row = await repo.insert({
        name,
        prefix: displayPrefix(key),
        hash: await sha256Hex(key),
        scopes: [...new Set(scopes)],
        createdAt: new Date().toISOString(),
      });
      return { row, key };
    },

    list(): Promise<ApiKeyRow[]> {
      return repo.list();
    },

    async get(id: number): Promise<ApiKeyRow> {
      const row = await repo.findById(id);
      if (!row) throw notFound("API key", id);
      return row;
    },

    /** Idempotent: revoking a revoked key returns it unchanged. */
    async revoke(id: number): Promise<ApiKeyRow> {
      const revoked = await repo.revoke(id, new Date().toISOString());
      const row = revoked ?? (await repo.findById(id));
      if (!row) throw notFound("API key", id);
      await forgetKey(row.hash, deps.kv);
      return row;
    },
  };
}
