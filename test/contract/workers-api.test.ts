// The API contract (test/contract/) against the Worker, in workerd through SELF.fetch — the same
// cases test/node/deno-api.test.ts runs against the Deno server over HTTP.
import { env, SELF } from "cloudflare:test";
import { apiContract } from "./index";

apiContract({
  runtime: "workers",
  fetch: (request) => SELF.fetch(request),
  origin: "http://game-db.test",
  adminKey: env.ADMIN_API_KEY,
});
