import { OpenAPIHono, z } from "@hono/zod-openapi";
import { FILE_STATUSES } from "../../domain/ingest";
import { ingestService } from "../../services/ingest";
import type { AppEnv } from "../env";
import { encodeCursor, toPage } from "../pagination";
import { WRITE_HEADERS } from "../schemas/headers";
import { ID_PARAMS, integerParam, NO_QUERY, strictQuery } from "../schemas/params";
import { IngestFileSchema, IngestRunDetailSchema, IngestRunSchema, PopulateResultSchema } from "../schemas/ingest";
import { apiRoute, json } from "./api-route";

const tags = ["Ingestion"];
/** Newest first; `cursor` comes from the previous page's `Link` header. */
const newestFirst = {
  limit: integerParam(z.number().int().min(1).max(50)).default(20),
  cursor: z.string().max(200).optional(),
};
const LIST_HEADERS = { ...WRITE_HEADERS, Link: { schema: { type: "string" as const }, description: 'Next (older) page: `<…>; rel="next"`' } };

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
    summary: "Run an ingestion now",
    description:
      "Scans the bucket and enqueues new files, exactly like the daily cron. Files are processed asynchronously: follow `statusUrl`. " +
      "Each API key may start one scan per cooldown (`INGEST_POPULATE_COOLDOWN_SECONDS`, 60 s by default): a second call within it " +
      "answers 429 with `Retry-After` (seconds until the key may scan again) and `statusUrl`, the run the key started.",
    request: { query: NO_QUERY },
    responses: {
      202: { description: "Scan done, files enqueued", headers: { ...WRITE_HEADERS, Location: { schema: { type: "string" } } }, content: json(PopulateResultSchema) },
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
    summary: "List ingestion runs, newest first",
    request: { query: strictQuery(newestFirst) },
    responses: {
      200: { description: "Runs with totals over their files", headers: LIST_HEADERS, content: json(z.array(IngestRunSchema)) },
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
    summary: "One ingestion run with its files",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: {
      200: { description: "The run", headers: WRITE_HEADERS, content: json(IngestRunDetailSchema) },
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
    summary: "Ledger rows, newest first",
    request: { query: strictQuery({ ...newestFirst, status: z.enum(FILE_STATUSES).optional() }) },
    responses: {
      200: { description: "Files", headers: LIST_HEADERS, content: json(z.array(IngestFileSchema)) },
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
    summary: "Re-enqueue a failed, dead or stuck file",
    description:
      "Re-enqueues a failed or dead file, or a queued one whose message is lost (never sent, or sent longer ago than the resend bound: " +
      "3 h with the production queue settings), with a fresh budget of attempts. Idempotent: a file processing, or queued with its message " +
      "still in the queue, is returned unchanged and nothing is sent. A done file is a 409.",
    request: { query: NO_QUERY, params: ID_PARAMS },
    responses: {
      202: { description: "The file, queued again", headers: WRITE_HEADERS, content: json(IngestFileSchema) },
    },
  },
  { errors: ["validation", "not-found", "conflict", "service-unavailable"] },
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
  .openapi(retryRoute, async (c) => c.json(await ingestService(c.env.deps).retryFile(c.req.valid("param").id), 202));
