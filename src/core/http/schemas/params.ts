import { z } from "@hono/zod-openapi";

// Query and path parameters accept one spelling per value. Every distinct URL of a cached read is
// a KV entry and a D1 query (the read cache keys on the raw URL, before validation), so a
// parameter the API does not know, a repeated one, or another spelling of the same number
// (`05`, `5.0`, `5e0`) is refused rather than served under a new key.

/** A repeated query parameter (`?limit=1&limit=2`) arrives as an array. */
function once(value: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(value)) return value;
  ctx.addIssue({ code: "custom", message: "must be given only once", params: { code: "repeated_parameter" } });
  return z.NEVER;
}

const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** A whole number in plain decimal digits (no sign for positives, no leading zeros, exponent or fraction). */
function integer(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value !== "string") return value;
  if (CANONICAL_INTEGER.test(value)) return Number(value);
  ctx.addIssue({ code: "custom", message: "must be a whole number in plain digits, such as 100", params: { code: "invalid_integer" } });
  return z.NEVER;
}

/** An integer query or path parameter; `schema` holds its bounds and is what OpenAPI shows. */
export const integerParam = (schema: z.ZodNumber) => z.preprocess(integer, schema);

/** The `{id}` of a resource path (a game, a key, a run, a file): a positive integer, written one way only. */
export const ID_PARAMS = z.object({
  id: integerParam(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).openapi({ param: { name: "id", in: "path" }, example: 42 }),
});

type Once<T> = T extends z.ZodType ? z.ZodPipe<z.ZodTransform<unknown, unknown>, T> : never;

/**
 * The query of a route: only the named parameters, each at most once; anything else is a 400
 * with one field error per unknown parameter. Routes without parameters use `strictQuery({})`.
 */
export function strictQuery<T extends Record<string, z.ZodType>>(fields: T) {
  const shape = Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, z.preprocess(once, schema)]));
  return z.strictObject(shape as { [K in keyof T]: Once<T[K]> });
}

/** The query of a route that takes no parameters: any parameter is refused. */
export const NO_QUERY = strictQuery({});
