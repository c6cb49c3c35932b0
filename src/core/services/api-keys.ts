import { RevocationNotPublished } from "./auth/authenticator";
import { sha256Hex } from "../digest";
import { displayPrefix, generateApiKey } from "../domain/key-format";
import type { Scope } from "../domain/scopes";
import type { ApiKey } from "../domain/api-key";
import { UNPUBLISHED_REVOCATION_BOUND_SECONDS } from "./auth/verdicts";
import { AppError, notFound } from "../errors";
import type { ServiceDeps } from "./deps";
import { apiKeysRepository, toApiKey } from "../data/api-keys";

export function apiKeysService(deps: Pick<ServiceDeps, "db" | "authenticator" | "log" | "now">) {
  const repo = apiKeysRepository(deps.db);
  return {
    /** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
    async create(name: string, scopes: Scope[]): Promise<{ apiKey: ApiKey; key: string }> {
      const key = generateApiKey();
      const row = await repo.insert({
        name,
        prefix: displayPrefix(key),
        hash: await sha256Hex(key),
        scopes: [...new Set(scopes)],
        createdAt: deps.now().toISOString(),
      });
      return { apiKey: toApiKey(row), key };
    },

    async list(): Promise<ApiKey[]> {
      return (await repo.list()).map(toApiKey);
    },

    async get(id: number): Promise<ApiKey> {
      const row = await repo.findById(id);
      if (!row) throw notFound("API key", id);
      return toApiKey(row);
    },

    /**
     * Idempotent: revoking a revoked key returns it unchanged and publishes its tombstone again,
     * so repeating a DELETE that answered 503 completes it. D1 records the revocation first (it
     * is the truth every cache defers to); the answer is a success only once KV holds the
     * tombstone that makes every isolate refuse the key.
     */
    async revoke(id: number): Promise<ApiKey> {
      const revoked = await repo.revoke(id, deps.now().toISOString());
      const row = revoked ?? (await repo.findById(id));
      if (!row) throw notFound("API key", id);
      try {
        await deps.authenticator.publishRevocation(row.hash, { keyId: row.id, revokedAt: row.revokedAt! });
      } catch (error) {
        if (!(error instanceof RevocationNotPublished)) throw error;
        deps.log.error("revocation recorded in D1 but not published to KV", { keyId: row.id, error: error.message });
        throw new AppError(
          "service-unavailable",
          `API key ${row.id} is revoked in the database, but the edge cache refused the revocation, so the key may keep ` +
            `working for up to ${UNPUBLISHED_REVOCATION_BOUND_SECONDS} s. Repeat this DELETE (it is idempotent) until it answers 200`,
          { headers: { "Retry-After": "5" }, cause: error },
        );
      }
      return toApiKey(row);
    },
  };
}
