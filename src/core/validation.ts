import type { ZodError } from "zod";
import { AppError, type FieldError } from "./errors";

/**
 * A zod failure as the `validation` problem (400) with field-level errors: the one mapping used
 * by the HTTP layer's request validation and by services that validate a body themselves.
 */

const LOCATIONS = { json: "body", query: "query", param: "path", header: "header" } as const;

type Issue = ZodError["issues"][number];

const sizeUnit = (origin: unknown, n: number | bigint) =>
  origin === "string" ? `${n} character${n === 1 ? "" : "s"}` : origin === "array" ? `${n} item${n === 1 ? "" : "s"}` : String(n);

/**
 * A message a person filling in a form understands ("must not be empty" rather than zod's
 * "Too small: expected string to have >=1 characters"); custom rules keep their own text.
 */
function friendlyMessage(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      return /received undefined$/.test(issue.message) ? "is required" : `must be ${issue.expected === "array" ? "an" : "a"} ${issue.expected}`;
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) === 1) return "must not be empty";
      return `must be at least ${sizeUnit(issue.origin, issue.minimum)}`;
    case "too_big":
      return `must be at most ${sizeUnit(issue.origin, issue.maximum)}`;
    case "invalid_value":
      return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return issue.format === "url" ? "must be a valid http(s) URL" : `must be a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

/** Field errors from a zod failure; unknown keys become one error each, named by the key. */
export function fieldErrors(error: ZodError, target: string): FieldError[] {
  const location = LOCATIONS[target as keyof typeof LOCATIONS] ?? "body";
  return error.issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        location,
        path: path ? `${path}.${key}` : key,
        message: location === "query" ? "is not a recognised query parameter" : "is not a recognised field",
        code: "unrecognized_key",
      }));
    }
    // A custom rule may name its own code (e.g. `control_character`) in its params.
    const code = issue.code === "custom" && typeof issue.params?.code === "string" ? issue.params.code : issue.code;
    return [{ location, path, message: friendlyMessage(issue), code }];
  });
}

export function validationError(error: ZodError, target: string): AppError {
  const errors = fieldErrors(error, target);
  const where = [...new Set(errors.map((e) => (e.path ? `${e.location}.${e.path}` : e.location)))];
  return new AppError("validation", `Invalid ${where.join(", ")}`, { errors });
}
