import { z } from "@hono/zod-openapi";
import { SCOPES } from "../../domain/scopes";
import type { ApiKey } from "../../domain/api-key";
import type { SameShape } from "../../domain/same-shape";
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


// The wire shape is the domain's (src/core/domain/api-key.ts): if either side changes, this stops compiling.
const _sameShape: SameShape<z.infer<typeof ApiKeySchema>, ApiKey> = true;
void _sameShape;
