/**
 * `true` when A and B are mutually assignable, else `never`: `const _check: SameShape<A, B> = true`
 * stops compiling when two declarations of one shape (a domain type, a drizzle row, a zod schema)
 * drift apart.
 */
export type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
