import { Hono } from "hono";
import { AppError } from "../errors";
import type { RequestIdEnv } from "./env";
import { requestId } from "./middleware/request-id";
import { problemResponse } from "./problem";

/**
 * What a server whose configuration does not parse answers to every request: a 503 problem,
 * named and rendered like every other error (request id, problem.ts), without the services the
 * configuration would have built. The platform logs which variables are wrong
 * (compose/misconfiguration.ts); the client learns only that the service is misconfigured.
 */
export function createMisconfiguredApp() {
  return new Hono<RequestIdEnv>()
    .use(requestId())
    .all("*", () => {
      throw new AppError("service-unavailable", "The service is misconfigured; operators have been told via the logs");
    })
    .onError((error, c) => problemResponse(c, error));
}
