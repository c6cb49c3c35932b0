import { z } from "@hono/zod-openapi";
import { PLATFORMS, storeIdProblem, type Game as DomainGame, type GameInput as DomainGameInput, type GamePatch as DomainGamePatch, type Platform } from "../../domain/game";
import type { SameShape } from "../../domain/same-shape";
import { httpUrl, text } from "./text";

const platform = z.enum(PLATFORMS).openapi({ example: "ios" });

export const GameSchema = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    publisherId: z.string().nullable().openapi({ example: "1500945164" }),
    name: z.string().openapi({ example: "Rocket League Sideswipe" }),
    platform,
    storeId: z.string().openapi({ example: "1549027048" }),
    bundleId: z.string().nullable().openapi({ example: "com.psyonixllc.mesa" }),
    appVersion: z.string().nullable().openapi({ example: "1.0.3" }),
    isPublished: z.boolean(),
    createdAt: z.string().openapi({ format: "date-time" }),
    updatedAt: z.string().openapi({ format: "date-time" }),
    publisherName: z.string().nullable().openapi({ example: "Psyonix LLC" }),
    iconUrl: z.string().nullable(),
    rank: z.number().int().nullable().openapi({ description: "Best chart position in the latest ingested ranking" }),
  })
  .openapi("Game");

export type Game = z.infer<typeof GameSchema>;

const optionalText = (max: number) => text().max(max).nullable().optional();

/** Writable fields and their rules. `id`, `createdAt`, `updatedAt` are read-only and ignored. */
const writableFields = {
  name: text({ trim: true }).min(1).max(200),
  platform,
  storeId: text().min(1).max(255),
  publisherId: optionalText(255),
  publisherName: optionalText(255),
  bundleId: optionalText(255),
  appVersion: optionalText(64),
  isPublished: z.boolean().optional(),
  iconUrl: httpUrl(2048).nullable().optional(),
  rank: z.number().int().min(1).max(1_000_000).nullable().optional(),
  id: z.number().int().optional().openapi({ readOnly: true, description: "Ignored; must match the path on PUT/PATCH" }),
  createdAt: z.string().optional().openapi({ readOnly: true, description: "Ignored" }),
  updatedAt: z.string().optional().openapi({ readOnly: true, description: "Ignored" }),
};

function checkStoreId(value: { platform?: Platform; storeId?: string }, ctx: z.RefinementCtx) {
  if (!value.platform || value.storeId === undefined) return;
  const problem = storeIdProblem(value.platform, value.storeId);
  if (problem) ctx.addIssue({ code: "custom", path: ["storeId"], message: problem });
}

/** Body of POST /api/games and PUT /api/games/{id}: a whole game. */
export const GameInputSchema = z.strictObject(writableFields).superRefine(checkStoreId).openapi("GameInput");

/** Body of PATCH /api/games/{id}: any subset of the writable fields. */
export const GamePatchSchema = z
  .strictObject({
    ...writableFields,
    name: writableFields.name.optional(),
    platform: platform.optional(),
    storeId: writableFields.storeId.optional(),
  })
  .superRefine(checkStoreId)
  .openapi("GamePatch");

// The wire shapes are the domain's (src/core/domain/game.ts): if either side changes, this stops compiling.
const _sameShapes: [
  SameShape<Game, DomainGame>,
  SameShape<z.infer<typeof GameInputSchema>, DomainGameInput>,
  SameShape<z.infer<typeof GamePatchSchema>, DomainGamePatch>,
] = [true, true, true];
void _sameShapes;

export const DeletedSchema = z.object({ id: z.number().int() }).openapi("Deleted");

/** `If-Match` on PUT, PATCH and DELETE (RFC 9110 §13.1.1); @hono/zod-validator matches header names case-insensitively. */
export const IfMatchHeaderSchema = z.object({
  "If-Match": z
    .string()
    .optional()
    .openapi({
      description:
        "Apply the write only if the game's current ETag (as `GET /api/games/{id}` or the last write answered it) is one of these strong entity tags, or if the game exists at all for `*`; otherwise 412. Weak tags (`W/\"…\"`) never match.",
      example: '"9b2cf1ad6d4e4b0f8a1c3e5d7f9b1a2c"',
    }),
});
