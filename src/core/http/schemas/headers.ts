import { RATE_LIMIT_HEADERS } from "./problem";

const string = { schema: { type: "string" as const } };

/** Headers of a successful cached read (list, get, search). */
export const READ_HEADERS = {
  ...RATE_LIMIT_HEADERS,
  ETag: { ...string, description: "Entity tag; send it back in If-None-Match for a 304" },
  "X-Cache": {
    schema: { type: "string" as const, enum: ["HIT", "MISS", "BYPASS"] },
    description:
      "HIT: served from the KV read cache; MISS: computed now (and stored); BYPASS: the cache could not be read, so the response was computed from the database without it (still current, ETag and If-None-Match still apply)",
  },
  "X-Request-Id": { ...string, description: "Identifies the request in the logs" },
};

/** Headers of a paginated read. */
export const PAGE_HEADERS = {
  ...READ_HEADERS,
  "X-Total-Count": {
    schema: { type: "integer" as const },
    description: "Rows matching the filters, across all pages; a lower bound when X-Total-Count-Relation is `gte`",
  },
  "X-Total-Count-Relation": {
    schema: { type: "string" as const, enum: ["eq", "gte"] },
    description: "`eq`: X-Total-Count is exact; `gte`: counting stopped there (a name search with more matches)",
  },
  Link: {
    ...string,
    description: 'RFC 8288 link to the next page, relative to the request URL: `</api/games?limit=100&cursor=…>; rel="next"`; absent on the last page',
  },
};

export const WRITE_HEADERS = {
  ...RATE_LIMIT_HEADERS,
  "X-Request-Id": { ...string, description: "Identifies the request in the logs" },
};

/** Headers of a write that answers a game: its new ETag, for the next conditional write. */
export const GAME_WRITE_HEADERS = {
  ...WRITE_HEADERS,
  ETag: { ...string, description: "The game's new entity tag (the one GET now answers); send it in If-Match to make the next write conditional" },
};
