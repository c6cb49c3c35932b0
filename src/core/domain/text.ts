/**
 * Rules for text that arrives from outside — API requests and ingested records alike — before
 * it is stored or searched. One place, so the API and ingestion agree on what a string may hold.
 */

/**
 * A UTF-16 surrogate without its partner. JSON allows one (`"\ud800"`) and real exports contain
 * them, but it has no UTF-8 encoding: SQLite would store mangled bytes.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces every lone surrogate with U+FFFD, as a UTF-8 decoder does with a broken sequence. */
export const replaceLoneSurrogates = (value: string): string => value.replace(LONE_SURROGATE, "\uFFFD");

/**
 * Unicode control characters (general category Cc): C0 (U+0000–U+001F, with tab, newline and
 * NUL), DEL and C1 (U+0080–U+009F). None belongs in a name, an id or a search term; NUL even
 * ends a string early inside D1, turning a search into a 500.
 */
const CONTROL_CHARACTER = /\p{Cc}/u;

export const hasControlCharacter = (value: string): boolean => CONTROL_CHARACTER.test(value);

/** The validation message for a string with a control character. */
export const CONTROL_CHARACTER_MESSAGE = "must not contain control characters";
