import { OpenAPIHono, z } from "@hono/zod-openapi";
import { PLATFORMS } from "../../domain/game";
import type { ProblemCode } from "../../errors";
import { gameEntityTag, parseIfMatch } from "../../services/etag";
import { gamesService, type WriteCondition } from "../../services/games";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { pageHeaders, pageQueryFields, toPage } from "../pagination";
import { DELETED_EXAMPLE, GAME_EXAMPLE, GAME_INPUT_EXAMPLE, GAME_PATCH_EXAMPLE, GAMES_EXAMPLE } from "../schemas/examples";
import { DeletedSchema, GameInputSchema, GamePatchSchema, GameSchema, IfMatchHeaderSchema, type Game } from "../schemas/game";
import { GAME_WRITE_HEADERS, location, NOT_MODIFIED, PAGE_HEADERS, READ_HEADERS, WRITE_HEADERS } from "../schemas/headers";
import { ID_PARAMS, NO_QUERY, strictQuery } from "../schemas/params";
import { apiRoute, json } from "./api-route";

const tags = ["Games"];
/** What PUT and PATCH can answer besides success. */
const UPDATE_ERRORS: ProblemCode[] = ["validation", "malformed-json", "not-found", "conflict", "precondition-failed", "payload-too-large", "unsupported-media-type"];

const listRoute = apiRoute(
  "games:read",
  {
    method: "get",
    path: "/api/games",
    tags,
    operationId: "listGames",
    summary: "List games",
    description: "Games in id order. The body is a plain array (compatible with the original API); pagination is in the `Link` and `X-Total-Count` headers.",
    request: {
      query: strictQuery({ ...pageQueryFields, platform: z.enum(PLATFORMS).optional().openapi({ example: "ios" }) }),
    },
    responses: {
      200: { description: "One page of games", headers: PAGE_HEADERS, content: json(z.array(GameSchema), GAMES_EXAMPLE) },
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
    operationId: "getGame",
    summary: "Get one game",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: {
      200: { description: "The game", headers: READ_HEADERS, content: json(GameSchema, GAME_EXAMPLE) },
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
    operationId: "createGame",
    summary: "Create a game",
    request: { query: NO_QUERY, body: { required: true, content: json(GameInputSchema, GAME_INPUT_EXAMPLE) } },
    responses: {
      201: {
        description: "Created",
        headers: { ...GAME_WRITE_HEADERS, ...location("Path of the new game, e.g. `/api/games/42`") },
        content: json(GameSchema, GAME_EXAMPLE),
      },
    },
  },
  { errors: ["validation", "malformed-json", "conflict", "payload-too-large", "unsupported-media-type"] },
);

/** PUT and PATCH: the same route but for the body and what the write does with it. */
const updateRoute = <S extends z.ZodType>(method: "put" | "patch", operationId: string, summary: string, description: string, body: S, example: z.input<S>) =>
  apiRoute(
    "games:write",
    {
      method,
      path: "/api/games/{id}",
      tags,
      operationId,
      summary,
      description,
      request: { query: NO_QUERY, params: ID_PARAMS, headers: IfMatchHeaderSchema, body: { required: true, content: json(body, example) } },
      responses: { 200: { description: "The updated game", headers: GAME_WRITE_HEADERS, content: json(GameSchema, GAME_EXAMPLE) } },
    },
    { errors: UPDATE_ERRORS },
  );

const IF_MATCH = "With `If-Match`, only if the game still has that ETag (else 412).";
const replaceRoute = updateRoute("put", "replaceGame", "Replace a game", `Full update: optional fields left out are cleared. ${IF_MATCH}`, GameInputSchema, GAME_INPUT_EXAMPLE);
const patchRoute = updateRoute(
  "patch",
  "updateGame",
  "Update some fields of a game",
  `Sets only the fields sent; concurrent PATCHes of different fields all apply. ${IF_MATCH}`,
  GamePatchSchema,
  GAME_PATCH_EXAMPLE,
);

const deleteRoute = apiRoute(
  "games:write",
  {
    method: "delete",
    path: "/api/games/{id}",
    tags,
    operationId: "deleteGame",
    summary: "Delete a game",
    description: IF_MATCH,
    request: { query: NO_QUERY, params: ID_PARAMS, headers: IfMatchHeaderSchema },
    responses: { 200: { description: "Deleted", headers: WRITE_HEADERS, content: json(DeletedSchema, DELETED_EXAMPLE) } },
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
    const result = await gamesService(c.env.deps, c.env.defer).list({ platform: query.platform }, page, c.get("dataVersion"));
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
