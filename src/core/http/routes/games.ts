import { OpenAPIHono, z } from "@hono/zod-openapi";
import { PLATFORMS } from "../../domain/game";
import type { ProblemCode } from "../../errors";
import { gameEntityTag, parseIfMatch } from "../../services/etag";
import { gamesService, type WriteCondition } from "../../services/games";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { pageHeaders, pageQueryFields, toPage } from "../pagination";
import { DeletedSchema, GameInputSchema, GamePatchSchema, GameSchema, IfMatchHeaderSchema, type Game } from "../schemas/game";
import { GAME_WRITE_HEADERS, PAGE_HEADERS, READ_HEADERS, WRITE_HEADERS } from "../schemas/headers";
import { ID_PARAMS, NO_QUERY, strictQuery } from "../schemas/params";
import { apiRoute, json } from "./api-route";

const tags = ["Games"];
/** What PUT and PATCH can answer besides success. */
const UPDATE_ERRORS: ProblemCode[] = ["validation", "malformed-json", "not-found", "conflict", "precondition-failed", "payload-too-large", "unsupported-media-type"];
const NOT_MODIFIED = { description: "Not modified (If-None-Match matched)" };

const listRoute = apiRoute(
  "games:read",
  {
    method: "get",
    path: "/api/games",
    tags,
    summary: "List games",
    description: "Games in id order. The body is a plain array (compatible with the original API); pagination is in the `Link` and `X-Total-Count` headers.",
    request: {
      query: strictQuery({ ...pageQueryFields, platform: z.enum(PLATFORMS).optional() }),
    },
    responses: {
      200: { description: "One page of games", headers: PAGE_HEADERS, content: json(z.array(GameSchema)) },
      304: NOT_MODIFIED,
    },
  },
  { errors: ["validation"], middleware: [readCache()] },
);

const getRoute = apiRoute(
  "games:read",
  {
    method: "get",
    path: "/api/games/{id}",
    tags,
    summary: "Get one game",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: {
      200: { description: "The game", headers: READ_HEADERS, content: json(GameSchema) },
      304: NOT_MODIFIED,
    },
  },
  { errors: ["validation", "not-found"], middleware: [readCache()] },
);

const createGameRoute = apiRoute(
  "games:write",
  {
    method: "post",
    path: "/api/games",
    tags,
    summary: "Create a game",
    request: { query: NO_QUERY, body: { required: true, content: json(GameInputSchema) } },
    responses: {
      201: {
        description: "Created",
        headers: { ...GAME_WRITE_HEADERS, Location: { schema: { type: "string" }, description: "URL of the new game" } },
        content: json(GameSchema),
      },
    },
  },
  { errors: ["validation", "malformed-json", "conflict", "payload-too-large", "unsupported-media-type"] },
);

/** PUT and PATCH: the same route but for the body and what the write does with it. */
const updateRoute = <S extends z.ZodType>(method: "put" | "patch", summary: string, description: string, body: S) =>
  apiRoute(
    "games:write",
    {
      method,
      path: "/api/games/{id}",
      tags,
      summary,
      description,
      request: { query: NO_QUERY, params: ID_PARAMS, headers: IfMatchHeaderSchema, body: { required: true, content: json(body) } },
      responses: { 200: { description: "The updated game", headers: GAME_WRITE_HEADERS, content: json(GameSchema) } },
    },
    { errors: UPDATE_ERRORS },
  );

const IF_MATCH = "With `If-Match`, only if the game still has that ETag (else 412).";
const replaceRoute = updateRoute("put", "Replace a game", `Full update: optional fields left out are cleared. ${IF_MATCH}`, GameInputSchema);
const patchRoute = updateRoute(
  "patch",
  "Update some fields of a game",
  `Sets only the fields sent; concurrent PATCHes of different fields all apply. ${IF_MATCH}`,
  GamePatchSchema,
);

const deleteRoute = apiRoute(
  "games:write",
  {
    method: "delete",
    path: "/api/games/{id}",
    tags,
    summary: "Delete a game",
    description: IF_MATCH,
    request: { query: NO_QUERY, params: ID_PARAMS, headers: IfMatchHeaderSchema },
    responses: { 200: { description: "Deleted", headers: WRITE_HEADERS, content: json(DeletedSchema) } },
  },
  { errors: ["validation", "not-found", "precondition-failed"] },
);

/** The `If-Match` a write was sent with. */
const conditionOf = (header: { "If-Match"?: string | undefined }): WriteCondition => ({ ifMatch: parseIfMatch(header["If-Match"]) });

/** A written game with its new ETag (the one GET now answers), so clients can chain conditional writes. */
const withEtag = async (game: Game) => ({ game, headers: { ETag: await gameEntityTag(game) } });

export const gamesRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = toPage(query);
    const result = await gamesService(c.env.deps, c.env.defer).list({ platform: query.platform }, page);
    return c.json(result.rows, 200, pageHeaders(new URL(c.req.url), page, result));
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await gamesService(c.env.deps, c.env.defer).get(id), 200);
  })
  .openapi(createGameRoute, async (c) => {
    const { game, headers } = await withEtag(await gamesService(c.env.deps, c.env.defer).create(c.req.valid("json")));
    return c.json(game, 201, { ...headers, Location: `/api/games/${game.id}` });
  })
  .openapi(replaceRoute, async (c) => {
    const { id } = c.req.valid("param");
    const replaced = await gamesService(c.env.deps, c.env.defer).replace(id, c.req.valid("json"), conditionOf(c.req.valid("header")));
    const { game, headers } = await withEtag(replaced);
    return c.json(game, 200, headers);
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    const patched = await gamesService(c.env.deps, c.env.defer).patch(id, c.req.valid("json"), conditionOf(c.req.valid("header")));
    const { game, headers } = await withEtag(patched);
    return c.json(game, 200, headers);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    await gamesService(c.env.deps, c.env.defer).remove(id, conditionOf(c.req.valid("header")));
    return c.json({ id }, 200);
  });
