import { z } from "@hono/zod-openapi";
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacter, replaceLoneSurrogates } from "../../domain/text";

/**
 * A text input of the API (game fields, key names, search terms): lone surrogates become U+FFFD,
 * as in ingestion, and control characters (NUL, tab, newline…) are refused with a field error.
 * `trim` strips surrounding whitespace first, so a pasted trailing newline is not an error.
 * Chain `.min()` / `.max()` after it.
 */
export const text = ({ trim = false }: { trim?: boolean } = {}) =>
  (trim ? z.string().trim() : z.string())
    .overwrite(replaceLoneSurrogates)
    .refine((value) => !hasControlCharacter(value), { message: CONTROL_CHARACTER_MESSAGE, params: { code: "control_character" } });

/**
 * An http(s) URL of at most `max` characters. The text rules run first: zod's URL check hands
 * back what the URL parser made of the input, which silently drops tabs and newlines.
 */
export const httpUrl = (max: number) =>
  text()
    .pipe(z.url({ protocol: /^https?$/ }).max(max))
    .openapi({ type: "string", format: "uri", maxLength: max });
