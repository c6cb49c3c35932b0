import { type HeaderDoc, RATE_LIMIT_HEADERS, REQUEST_ID_HEADER } from "./problem";

// Response headers in the document. `required: true` marks the ones every such response carries;
// the tests hold each response to it (test/support/openapi-responses.ts).

const string = { schema: { type: "string" } } as const;

/** Headers of every successful /api response. */
export const WRITE_HEADERS = { ...RATE_LIMIT_HEADERS, ...REQUEST_ID_HEADER } satisfies Record<string, HeaderDoc>;

/** The validator of a response that answers If-None-Match with a 304. */
export const ETAG = { ...string, description: "Entity tag; send it back in If-None-Match for a 304", required: true } satisfies HeaderDoc;

const X_CACHE = {
  schema: { type: "string", enum: ["HIT", "MISS", "BYPASS"] },
  description:
    "HIT: served from the KV read cache; MISS: computed now (and stored); BYPASS: the cache could not be read, so the response was computed from the database without it (still current, ETag and If-None-Match still apply)",
  required: true,
} satisfies HeaderDoc;

/** Headers of a successful cached read (list, get, search). */
export const READ_HEADERS = { ...WRITE_HEADERS, ETag: ETAG, "X-Cache": X_CACHE } satisfies Record<string, HeaderDoc>;

/** A 304 of a cached read: the validators of the representation the client holds (RFC 9110 §15.4.5). */
export const NOT_MODIFIED = { description: "Not modified (If-None-Match matched)", headers: READ_HEADERS };

/** Headers of a paginated read. */
export const PAGE_HEADERS = {
  ...READ_HEADERS,
  "X-Total-Count": {
    schema: { type: "integer" },
    description: "Rows matching the filters, across all pages; a lower bound when X-Total-Count-Relation is `gte`",
    required: true,
  },
  "X-Total-Count-Relation": {
    schema: { type: "string", enum: ["eq", "gte"] },
    description: "`eq`: X-Total-Count is exact; `gte`: counting stopped there (a name search with more matches)",
    required: true,
  },
  Link: {
    ...string,
    description: 'RFC 8288 link to the next page, relative to the request URL: `</api/games?limit=100&cursor=…>; rel="next"`; absent on the last page',
  },
} satisfies Record<string, HeaderDoc>;

/** Headers of a write that answers a game: its new ETag, for the next conditional write. */
export const GAME_WRITE_HEADERS = {
  ...WRITE_HEADERS,
  ETag: { ...string, description: "The game's new entity tag (the one GET now answers); send it in If-Match to make the next write conditional", required: true },
} satisfies Record<string, HeaderDoc>;

/** `Location` of a resource a request created (a path on this host). */
export const location = (description: string) => ({ Location: { ...string, description, required: true } }) satisfies Record<string, HeaderDoc>;
