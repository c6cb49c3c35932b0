// The game form's fields: their order on screen (which the error summary follows), labels and
// hints, and the conversion between a game and the text the form holds.
import type { Game, Platform } from "../../types";

/** The form's values: text as typed; converted to the API's types on submit. */
export interface Values {
  name: string;
  platform: Platform;
  storeId: string;
  bundleId: string;
  publisherId: string;
  publisherName: string;
  appVersion: string;
  iconUrl: string;
  rank: string;
  isPublished: boolean;
}
export type Field = keyof Values;
export type TextField = Exclude<Field, "platform" | "isPublished">;

/** Every field, in the order the form shows them. */
export const FIELDS: readonly Field[] = ["name", "platform", "storeId", "bundleId", "publisherId", "publisherName", "appVersion", "iconUrl", "rank", "isPublished"];

export const REQUIRED: ReadonlySet<Field> = new Set<Field>(["name", "platform", "storeId"]);

export const LABELS: Record<Field, string> = {
  name: "Name",
  platform: "Platform",
  storeId: "Store ID",
  bundleId: "Bundle ID",
  publisherId: "Publisher ID",
  publisherName: "Publisher name",
  appVersion: "App version",
  iconUrl: "Icon URL",
  rank: "Rank",
  isPublished: "Published",
};

export const HINTS: Partial<Record<Field, string>> = {
  storeId: "iOS: the App Store id (digits). Android: the package name, e.g. com.example.game.",
  iconUrl: "An http(s) URL.",
  rank: "Chart position, 1 or more. Usually set by ingestion; leave empty for none.",
};

/** The keyboard a phone shows for a text field. */
export const INPUT_MODES: Partial<Record<TextField, "numeric" | "url">> = { iconUrl: "url", rank: "numeric" };

export const EMPTY: Values = {
  name: "",
  platform: "ios",
  storeId: "",
  bundleId: "",
  publisherId: "",
  publisherName: "",
  appVersion: "",
  iconUrl: "",
  rank: "",
  isPublished: true,
};

export const fieldId = (field: string) => `game-${field}`;

export function toValues(game: Game): Values {
  return {
    name: game.name,
    platform: game.platform,
    storeId: game.storeId,
    bundleId: game.bundleId ?? "",
    publisherId: game.publisherId ?? "",
    publisherName: game.publisherName ?? "",
    appVersion: game.appVersion ?? "",
    iconUrl: game.iconUrl ?? "",
    rank: game.rank === null ? "" : String(game.rank),
    isPublished: game.isPublished,
  };
}

/**
 * The body of POST / PUT: every field, empty optional text as null. Values are sent as typed
 * (no client-side rules): the API validates, and its messages are shown next to the fields.
 */
export function toBody(values: Values): Record<string, unknown> {
  const text = (value: string) => (value.trim() === "" ? null : value.trim());
  const rank = values.rank.trim();
  return {
    name: values.name,
    platform: values.platform,
    storeId: values.storeId.trim(),
    bundleId: text(values.bundleId),
    publisherId: text(values.publisherId),
    publisherName: text(values.publisherName),
    appVersion: text(values.appVersion),
    iconUrl: text(values.iconUrl),
    // A number when it looks like one; anything else goes as typed for the API to explain.
    rank: rank === "" ? null : /^-?\d+(\.\d+)?$/.test(rank) ? Number(rank) : rank,
    isPublished: values.isPublished,
  };
}
