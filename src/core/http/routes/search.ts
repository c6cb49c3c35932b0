import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { PLATFORMS, type Platform } from "../../domain/game";
import { MAX_COUNTED_MATCHES } from "../../domain/page";
import { gamesService } from "../../services/games";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { pageHeaders, pageQueryFields, toPage } from "../pagination";
import { GAMES_EXAMPLE, SEARCH_EXAMPLE } from "../schemas/examples";
import { GameSchema } from "../schemas/game";
import { NOT_MODIFIED, PAGE_HEADERS } from "../schemas/headers";
import { strictQuery } from "../schemas/params";
import { text } from "../schemas/text";
import { apiRoute, json } from "./api-route";

/** The longest search term: each extra character is one more trigram for the index to intersect. */
const MAX_SEARCH_TERM_LENGTH = 100;

const criteria = {
  name: text()
    .max(MAX_SEARCH_TERM_LENGTH)
    .optional()
    .openapi({
      description: `Case-insensitive substring of the name, at most ${MAX_SEARCH_TERM_LENGTH} characters; \`%\` and \`_\` are literal characters`,
      example: "craft",
    }),
  platform: z.enum(PLATFORMS).optional().openapi({ description: "Exact platform", example: "android" }),
};

const SearchBodySchema = z.strictObject(criteria).openapi("GameSearch");

const description =
  "Case-insensitive partial match on name and exact platform; no criteria returns every game. Paged like the list; the `Link` header always points at the GET form. " +
  `With a name, \`X-Total-Count\` counts at most ${MAX_COUNTED_MATCHES} matches: beyond that it reads ${MAX_COUNTED_MATCHES} with \`X-Total-Count-Relation: gte\`.`;

const responses = {
  200: { description: "Matching games, in id order", headers: PAGE_HEADERS, content: json(z.array(GameSchema), GAMES_EXAMPLE) },
  304: NOT_MODIFIED,
};

const searchGetRoute = apiRoute(
  "games:read",
  {
    method: "get",
    path: "/api/games/search",
    tags: ["Games"],
    operationId: "searchGames",
    summary: "Search games (query string)",
    description,
    request: { query: strictQuery({ ...pageQueryFields, ...criteria }) },
    responses,
  },
  { errors: ["validation"], middleware: [readCache()] },
);

const searchPostRoute = apiRoute(
  "games:read",
  {
    method: "post",
    path: "/api/games/search",
    tags: ["Games"],
    operationId: "searchGamesByBody",
    summary: "Search games (JSON body)",
    description: `${description} Pagination parameters go in the query string.`,
    request: { query: strictQuery(pageQueryFields), body: { required: false, content: json(SearchBodySchema, SEARCH_EXAMPLE) } },
    responses,
  },
  { errors: ["validation", "malformed-json", "payload-too-large", "unsupported-media-type"], middleware: [readCache()] },
);

async function search(
  c: Context<AppEnv>,
  query: { limit: number; cursor?: string | undefined; offset?: number | undefined },
  filter: { name?: string | undefined; platform?: Platform | undefined },
) {
  const page = toPage(query);
  // An empty name is no criterion, as in the original API.
  const criteria = { name: filter.name || undefined, platform: filter.platform };
  const result = await gamesService(c.env.deps, c.env.defer).list(criteria, page, c.get("dataVersion"));
  const base = new URL("/api/games/search", c.req.url);
  if (criteria.name) base.searchParams.set("name", criteria.name);
  if (criteria.platform) base.searchParams.set("platform", criteria.platform);
  return { rows: result.rows, headers: pageHeaders(base, page, result) };
}

export const searchRoutes = new OpenAPIHono<AppEnv>()
  .openapi(searchGetRoute, async (c) => {
    const { name, platform, ...query } = c.req.valid("query");
    const { rows, headers } = await search(c, query, { name, platform });
    return c.json(rows, 200, headers);
  })
  .openapi(searchPostRoute, async (c) => {
    const { rows, headers } = await search(c, c.req.valid("query"), c.req.valid("json"));
    return c.json(rows, 200, headers);
  });
