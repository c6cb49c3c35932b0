import type { IngestMessage } from "../../src/core/domain/ingest";
import worker from "../../src/platform/cloudflare/index";
import { asInvocation } from "./invocation";
import { isolateEnv } from "./limited-env";

// The Worker as every Workers test project runs it (`main` in vitest.config.ts), and as the test
// helpers call it: the real handlers of src/platform/cloudflare/index.ts, each invocation with a
// fresh budget and D1 / KV behind production's limits (limited-env.ts). The product code does not
// know about this wrapping.

type Handlers = Required<Pick<ExportedHandler<Env, IngestMessage>, "fetch" | "scheduled" | "queue">>;
const real = worker as unknown as Handlers;

export default {
  fetch: (request: Parameters<Handlers["fetch"]>[0], env: Env, ctx: ExecutionContext) =>
    asInvocation(() => real.fetch(request, isolateEnv(env), ctx)),
  // The scheduled and queue handlers ignore their context; tests may call them without one.
  scheduled: (controller: ScheduledController, env: Env, ctx?: ExecutionContext) =>
    asInvocation(() => real.scheduled(controller, isolateEnv(env), ctx as ExecutionContext)),
  queue: (batch: MessageBatch<IngestMessage>, env: Env, ctx?: ExecutionContext) =>
    asInvocation(() => real.queue(batch, isolateEnv(env), ctx as ExecutionContext)),
};
