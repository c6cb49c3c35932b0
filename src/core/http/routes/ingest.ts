import { OpenAPIHono, z } from "@hono/zod-openapi";
import { FILE_STATUSES } from "../../domain/ingest";
import { parseS3EventDocument } from "../../domain/s3-events";
import { ingestService } from "../../services/ingest";
import { acceptS3Events } from "../../services/ingest-events";
import { validationError } from "../problem";
import type { AppEnv } from "../env";
import { encodeCursor, toPage } from "../pagination";
import { location, WRITE_HEADERS } from "../schemas/headers";
import { ID_PARAMS, integerParam, NO_QUERY, strictQuery } from "../schemas/params";
import { FILES_EXAMPLE, POPULATE_EXAMPLE, RETRIED_FILE_EXAMPLE, RUN_DETAIL_EXAMPLE, RUN_EXAMPLE } from "../schemas/examples";
import { IngestFileSchema, IngestRunDetailSchema, IngestRunSchema, PopulateResultSchema } from "../schemas/ingest";
import { S3_EVENT_EXAMPLES, S3_EVENTS_ACCEPTED_EXAMPLE, S3EventDocumentSchema, S3EventsAcceptedSchema } from "../schemas/s3-events";
import { apiRoute, json } from "./api-route";

const tags = ["Ingestion"];
/** Newest first; `cursor` comes from the previous page's `Link` header. */
const newestFirst = {
  limit: integerParam(z.number().int().min(1).max(50)).default(20).openapi({ example: 20 }),
  cursor: z.string().max(200).optional().openapi({ description: 'Opaque cursor from the `Link: <…>; rel="next"` header of the previous page', example: "eyJhZnRlciI6MTJ9" }),
};
const LIST_HEADERS = { ...WRITE_HEADERS, Link: { schema: { type: "string" as const }, description: 'Next (older) page, relative to the request URL: `<…>; rel="next"`; absent on the last page' } };

/** `Link` to the older page after `rows` (ids descending), when there is one. */
function olderPageLink(url: string, page: { rows: { id: number }[]; hasMore: boolean }): Record<string, string> {
  const last = page.rows.at(-1);
  if (!page.hasMore || !last) return {};
  const next = new URL(url);
  next.searchParams.set("cursor", encodeCursor(last.id));
  // Relative, like the games pages' links (src/core/http/pagination.ts).
  return { Link: `<${next.pathname}${next.search}>; rel="next"` };
}

const populateRoute = apiRoute(
  "ingest:run",
  {
    method: "post",
    path: "/api/games/populate",
    tags,
    operationId: "populateGames",
    summary: "Run an ingestion now",
    description:
      "Scans the bucket and enqueues new files, exactly like the daily cron. Files are processed asynchronously: follow `statusUrl`. " +
      "Each API key may start one scan per cooldown (`INGEST_POPULATE_COOLDOWN_SECONDS`, 60 s by default): a second call within it " +
      "answers 429 with `Retry-After` (seconds until the key may scan again) and `statusUrl`, the run the key started.",
    request: { query: NO_QUERY },
    responses: {
      202: { description: "Scan done, files enqueued", headers: { ...WRITE_HEADERS, ...location("The run's status URL (`statusUrl`)") }, content: json(PopulateResultSchema, POPULATE_EXAMPLE) },
    },
  },
  { errors: ["bad-gateway", "service-unavailable"] },
);

const listRunsRoute = apiRoute(
  "ingest:read",
  {
    method: "get",
    path: "/api/ingest/runs",
    tags,
    operationId: "listIngestRuns",
    summary: "List ingestion runs, newest first",
    request: { query: strictQuery(newestFirst) },
    responses: {
      200: { description: "Runs with totals over their files", headers: LIST_HEADERS, content: json(z.array(IngestRunSchema), [RUN_EXAMPLE]) },
    },
  },
  { errors: ["validation"] },
);

const getRunRoute = apiRoute(
  "ingest:read",
  {
    method: "get",
    path: "/api/ingest/runs/{id}",
    tags,
    operationId: "getIngestRun",
    summary: "One ingestion run with its files",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: {
      200: { description: "The run", headers: WRITE_HEADERS, content: json(IngestRunDetailSchema, RUN_DETAIL_EXAMPLE) },
    },
  },
  { errors: ["validation", "not-found"] },
);

const listFilesRoute = apiRoute(
  "ingest:read",
  {
    method: "get",
    path: "/api/ingest/files",
    tags,
    operationId: "listIngestFiles",
    summary: "Ledger rows, newest first",
    request: { query: strictQuery({ ...newestFirst, status: z.enum(FILE_STATUSES).optional().openapi({ example: "failed" }) }) },
    responses: {
      200: { description: "Files", headers: LIST_HEADERS, content: json(z.array(IngestFileSchema), FILES_EXAMPLE) },
    },
  },
  { errors: ["validation"] },
);

const retryRoute = apiRoute(
  "ingest:run",
  {
    method: "post",
    path: "/api/ingest/files/{id}/retry",
    tags,
    operationId: "retryIngestFile",
    summary: "Re-enqueue a failed, dead or stuck file",
    description:
      "Re-enqueues a failed or dead file, or a queued one whose message is lost (never sent, or sent longer ago than the resend bound: " +
      "3 h with the production queue settings), with a fresh budget of attempts. Idempotent: a file processing, or queued with its message " +
      "still in the queue, is returned unchanged and nothing is sent. A done file is a 409.",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: {
      202: { description: "The file, queued again", headers: WRITE_HEADERS, content: json(IngestFileSchema, RETRIED_FILE_EXAMPLE) },
    },
  },
  { errors: ["validation", "not-found", "conflict", "service-unavailable"] },
);

const eventsRoute = apiRoute(
  "ingest:run",
  {
    method: "post",
    path: "/api/ingest/events",
    operationId: "ingestEvents",
    tags,
    summary: "Ingest the files an S3 event announces",
    description:
      "Takes an S3 event — from an EventBridge API destination (an `aws.s3` event) or an S3 event notification (`Records[]`) — and records " +
      "each created object under `S3_PREFIX` of the configured bucket in the ledger and on the ingest queue, exactly as the daily scan would " +
      "(a run with trigger `event`). Keys are form-URL-decoded and ETags quoted, so a file version seen by both an event and the scan is one " +
      "ledger row and is ingested once; duplicate and out-of-order deliveries change nothing. `s3:TestEvent`, `ObjectRemoved:*` and other " +
      "non-create events, other buckets, keys outside the prefix and non-data files are acknowledged and counted in `ignored`. Makes no S3 " +
      "request, so it answers well within EventBridge's 5 s. A 503 means nothing may have been recorded: deliver the event again.",
    request: {
      query: NO_QUERY,
      body: { required: true, content: { "application/json": { schema: S3EventDocumentSchema, examples: S3_EVENT_EXAMPLES } } },
    },
    responses: {
      202: { description: "Recorded; the files are ingested asynchronously (follow the run)", headers: WRITE_HEADERS, content: json(S3EventsAcceptedSchema, S3_EVENTS_ACCEPTED_EXAMPLE) },
    },
  },
  { errors: ["validation", "malformed-json", "payload-too-large", "unsupported-media-type", "service-unavailable"] },
);

const beforeId = (cursor: string | undefined, limit: number) => toPage({ limit, cursor }).afterId;

export const ingestRoutes = new OpenAPIHono<AppEnv>()
  .openapi(populateRoute, async (c) => {
    const result = await ingestService(c.env.deps).populate(String(c.get("principal")!.keyId));
    return c.json(result, 202, { Location: result.statusUrl });
  })
  .openapi(listRunsRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const runs = await ingestService(c.env.deps).listRuns(limit, beforeId(cursor, limit));
    return c.json(runs.rows, 200, olderPageLink(c.req.url, runs));
  })
  .openapi(getRunRoute, async (c) => c.json(await ingestService(c.env.deps).getRun(c.req.valid("param").id), 200))
  .openapi(listFilesRoute, async (c) => {
    const { limit, cursor, status } = c.req.valid("query");
    const files = await ingestService(c.env.deps).listFiles(status, limit, beforeId(cursor, limit));
    return c.json(files.rows, 200, olderPageLink(c.req.url, files));
  })
  .openapi(retryRoute, async (c) => c.json(await ingestService(c.env.deps).retryFile(c.req.valid("param").id), 202))
  .openapi(
    eventsRoute,
    async (c) => c.json(await acceptS3Events(c.req.valid("json"), c.env.deps), 202),
    // A body that is none of the documents is reported against the one its shape says it meant
    // to be, not as "matches none of three" (the union's own error).
    (result) => {
      if (result.success) return undefined;
      if (result.target !== "json") throw validationError(result.error, result.target);
      // @hono/zod-validator hands the hook the raw body as `data` on failure too.
      const parsed = parseS3EventDocument((result as { data?: unknown }).data);
      throw validationError(parsed.success ? result.error : parsed.error, "json");
    },
  );
