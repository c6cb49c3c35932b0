import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { PLATFORMS } from "../../db/schema";
import { gamesService } from "../../services/games";
import type { AppEnv } from "../env";
import { requireScope } from "../middleware/authenticate";
import { readCache } from "../middleware/read-cache";
import { pageHeaders, pageQueryFields, toPage } from "../pagination";
import {
  DeletedSchema,
  GameIdParamSchema,
  GameInputSchema,
  GamePatchSchema,
  GameSchema,
} from "../schemas/game";
import { PAGE_HEADERS, READ_HEADERS, WRITE_HEADERS } from "../schemas/headers";
import { AUTHENTICATED_ERRORS, errorResponses } from "../schemas/problem";
import { API_KEY_SECURITY } from "./security";

const tags = ["Games"];
/** What PUT and PATCH can answer besides success. */
const UPDATE_ERRORS = errorResponses(
  "validation",
  "malformed-json",
  "not-found",
  "conflict",
  "payload-too-large",
  "unsupported-media-type",
  ...AUTHENTICATED_ERRORS,
);
const json = <T>(schema: T) => ({ "application/json": { schema } });

const listRoute = createRoute({
  method: "get",
  path: "/api/games",
  tags,
  summary: "List games",
  description: "Games in id order. The body is a plain array (compatible with the original API); pagination is in the `Link` and `X-Total-Count` headers.",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:read"), readCache()],
  request: {
    query: z.object({ ...pageQueryFields, platform: z.enum(PLATFORMS).optional() }),
  },
  responses: {
    200: { description: "One page of games", headers: PAGE_HEADERS, content: json(z.array(GameSchema)) },
    304: { description: "Not modified (If-None-Match matched)" },
    ...errorResponses("validation", ...AUTHENTICATED_ERRORS),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/games/{id}",
  tags,
  summary: "Get one game",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:read"), readCache()],
  request: { params: GameIdParamSchema },
  responses: {
    200: { description: "The game", headers: READ_HEADERS, content: json(GameSchema) },
    304: { description: "Not modified (If-None-Match matched)" },
    ...errorResponses("validation", "not-found", ...AUTHENTICATED_ERRORS),
  },
});

const createGameRoute = createRoute({
  method: "post",
  path: "/api/games",
  tags,
  summary: "Create a game",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:write")],
  request: { body: { required: true, content: json(GameInputSchema) } },
  responses: {
    201: {
      description: "Created",
      headers: { ...WRITE_HEADERS, Location: { schema: { type: "string" }, description: "URL of the new game" } },
      content: json(GameSchema),
    },
    ...errorResponses(
      "validation",
      "malformed-json",
      "conflict",
      "payload-too-large",
      "unsupported-media-type",
      ...AUTHENTICATED_ERRORS,
    ),
  },
});

const replaceRoute = createRoute({
  method: "put",
  path: "/api/games/{id}",
  tags,
  summary: "Replace a game",
  description: "Full update: optional fields left out are cleared.",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:write")],
  request: { params: GameIdParamSchema, body: { required: true, content: json(GameInputSchema) } },
  responses: {
    200: { description: "The updated game", headers: WRITE_HEADERS, content: json(GameSchema) },
    ...UPDATE_ERRORS,
  },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/api/games/{id}",
  tags,
  summary: "Update some fields of a game",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:write")],
  request: { params: GameIdParamSchema, body: { required: true, content: json(GamePatchSchema) } },
  responses: {
    200: { description: "The updated game", headers: WRITE_HEADERS, content: json(GameSchema) },
    ...UPDATE_ERRORS,
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/api/games/{id}",
  tags,
  summary: "Delete a game",
  security: API_KEY_SECURITY,
  middleware: [requireScope("games:write")],
  request: { params: GameIdParamSchema },
  responses: {
    200: { description: "Deleted", headers: WRITE_HEADERS, content: json(DeletedSchema) },
    ...errorResponses("validation", "not-found", ...AUTHENTICATED_ERRORS),
  },
});

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
    const game = await gamesService(c.env.deps, c.env.defer).create(c.req.valid("json"));
    return c.json(game, 201, { Location: `/api/games/${game.id}` });
  })
  .openapi(replaceRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await gamesService(c.env.deps, c.env.defer).replace(id, c.req.valid("json")), 200);
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await gamesService(c.env.deps, c.env.defer).patch(id, c.req.valid("json")), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    await gamesService(c.env.deps, c.env.defer).remove(id);
    return c.json({ id }, 200);
  });
