// The ingestion contracts (test/contract/ingest.ts, sns.ts) against the Worker: real S3 (s3rver behind the
// harness of the workers-ingest project), real local Queues and D1. The Deno runner is
// test/node/deno-ingest.test.ts.
import { env, SELF } from "cloudflare:test";
import { putObject, resetIngestState } from "../../helpers/ingest";
import { headObject } from "../../helpers/s3-events";
import { servePage } from "../../helpers/sns";
import { ingestContract, snsContract } from "../../contract/index";

const target = { runtime: "workers", fetch: (request: Request) => SELF.fetch(request), origin: "http://game-db.test", adminKey: env.ADMIN_API_KEY };
const source = { reset: resetIngestState, putObject: (key: string, body: string) => putObject(key, body), etagOf: async (key: string) => (await headObject(key)).etag, bucket: env.S3_BUCKET };
ingestContract(target, source);
snsContract(target, { ...source, servePage });
