import { z } from "@hono/zod-openapi";
import { SCOPES } from "../../domain/scopes";
import type { ApiKeyRow } from "../../data/schema";
import { resourceIdParams } from "./params";
import { text } from "./text";

export const ApiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string().openapi({ example: "analytics-team" }),
    prefix: z.string().openapi({ example: "gdb_3kT9xQ2m", description: "First characters of the key, to recognise it" }),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.string().openapi({ format: "date-time" }),
    lastUsedAt: z.string().nullable().openapi({ format: "date-time", description: "Updated at most every 5 minutes" }),
    revokedAt: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.pick({ id: true, name: true, prefix: true, scopes: true, createdAt: true })
  .extend({ key: z.string().openapi({ description: "The secret. Shown only in this response; store it now." }) })
  .openapi("CreatedApiKey");

export const ApiKeyInputSchema = z
  .strictObject({
    name: text({ trim: true }).min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
  })
  .openapi("ApiKeyInput");

export const ApiKeyIdParamSchema = resourceIdParams();

/** The public view of a stored key: everything but its hash. */
export function toApiKey(row: ApiKeyRow): z.infer<typeof ApiKeySchema> {
  const { hash: _hash, ...visible } = row;
  return { ...visible, scopes: visible.scopes as z.infer<typeof ApiKeySchema>["scopes"] };
}
