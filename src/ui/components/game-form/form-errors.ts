// The API's answer to a refused save, arranged for the form: messages per field in the form's
// order, one message for an empty required field, and the existing game a 409 points at.
import { ApiError } from "../../api";
import { FIELDS, type Field, type Values } from "./game-values";

export interface FormErrors {
  /** Messages per form field, in the form's field order. */
  byField: Map<Field, string[]>;
  /** Body fields the form does not have (e.g. `id`), in the API's order. */
  other: [string, string[]][];
  /** On a 409: the id of the game that already has this platform and store id. */
  existingId: number | null;
}

const isField = (name: string): name is Field => (FIELDS as readonly string[]).includes(name);

/**
 * The conflicting game's id, as the 409 detail names it ("… already exists (id 42)",
 * src/core/services/games.ts); null when it names none.
 */
export function conflictingId(error: ApiError): number | null {
  const match = error.status === 409 ? error.problem.detail.match(/\(id (\d+)\)/) : null;
  return match ? Number(match[1]) : null;
}

export function formErrors(error: unknown, values: Values): FormErrors {
  const none: FormErrors = { byField: new Map(), other: [], existingId: null };
  if (!(error instanceof ApiError)) return none;
  const found = new Map<string, { message: string; code: string }[]>();
  for (const e of error.problem.errors ?? []) {
    if (e.location !== "body" || !e.path) continue;
    const field = e.path.split(".")[0]!;
    found.set(field, [...(found.get(field) ?? []), e]);
  }
  const byField = new Map<Field, string[]>();
  for (const field of FIELDS) {
    const errors = found.get(field);
    if (!errors) continue;
    // An empty field is one problem, however many rules it also fails (the API reports "must
    // not be empty" and, for a store id, the format it does not match either).
    const value = values[field];
    const empty = typeof value === "string" && value.trim() === "" ? errors.find((e) => e.code === "too_small") : undefined;
    byField.set(field, empty ? [empty.message] : errors.map((e) => e.message));
  }
  const existingId = conflictingId(error);
  // A conflict about the natural key (not "kept changing"): show it at the store id too.
  if (error.status === 409 && /already exists/.test(error.problem.detail)) byField.set("storeId", [error.problem.detail]);
  const other = [...found].filter(([field]) => !isField(field)).map(([field, errors]) => [field, errors.map((e) => e.message)] as [string, string[]]);
  return { byField: new Map(FIELDS.filter((f) => byField.has(f)).map((f) => [f, byField.get(f)!])), other, existingId };
}
