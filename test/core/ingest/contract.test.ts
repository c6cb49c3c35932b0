// The ingestion contract (test/contract/ingest.ts) against the Worker: real S3 (s3rver behind the
// harness of the workers-ingest project), real local Queues and D1. The Deno runner is
// test/node/deno-ingest.test.ts.
import { env, SELF } from "cloudflare:test";
import { putObject, resetIngestState } from "../../helpers/ingest";
import { headObject } from "../../helpers/s3-events";
import { ingestContract } from "../../contract/index";

ingestContract(
  { runtime: "workers", fetch: (request) => SELF.fetch(request), origin: "http://game-db.test", adminKey: env.ADMIN_API_KEY },
  { reset: resetIngestState, putObject: (key, body) => putObject(key, body), etagOf: async (key) => (await headObject(key)).etag, bucket: env.S3_BUCKET },
);
