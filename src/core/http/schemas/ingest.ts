import { z } from "@hono/zod-openapi";
import { FILE_STATUSES, RUN_STATUSES, TRIGGERS, type IngestFile as DomainIngestFile, type IngestRun as DomainIngestRun } from "../../domain/ingest";
import type { SameShape } from "../../domain/same-shape";

const timestamp = z.string().openapi({ format: "date-time" });

export const IngestFileSchema = z
  .object({
    id: z.number().int(),
    runId: z.number().int().openapi({ description: "The run that last enqueued the file" }),
    key: z.string().openapi({ example: "daily/2021-12-09/ios.top100.json" }),
    etag: z.string(),
    size: z.number().int(),
    lastModified: timestamp.nullable(),
    status: z.enum(FILE_STATUSES),
    attempts: z.number().int().openapi({ description: "Processing attempts so far" }),
    recordsSeen: z.number().int().nullable(),
    recordsUpserted: z.number().int().nullable().openapi({ description: "Distinct valid games in the file" }),
    recordsRejected: z.number().int().nullable(),
    gamesWritten: z.number().int().nullable().openapi({ description: "Game rows inserted or changed (0 for identical data)" }),
    rejectionSamples: z.array(z.object({ index: z.number().int(), reason: z.string() })).nullable(),
    lastError: z.string().nullable(),
    sentAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
  })
  .openapi("IngestFile");

export const RunTotalsSchema = z
  .object({
    files: z.number().int(),
    queued: z.number().int(),
    processing: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    dead: z.number().int(),
    superseded: z.number().int().openapi({ description: "Files replaced in the bucket by a newer upload before they were read (not failures: the newer version is ingested)" }),
    recordsSeen: z.number().int(),
    recordsUpserted: z.number().int(),
    recordsRejected: z.number().int(),
    gamesWritten: z.number().int(),
  })
  .openapi("IngestRunTotals");

export const IngestRunSchema = z
  .object({
    id: z.number().int(),
    trigger: z.enum(TRIGGERS),
    status: z.enum(RUN_STATUSES).openapi({ description: "Outcome of the scan (listing and enqueueing)" }),
    inProgress: z.boolean().openapi({ description: "True while the scan runs or any of its files is queued or processing" }),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
    objectsListed: z.number().int(),
    filesEnqueued: z.number().int(),
    error: z.string().nullable(),
    totals: RunTotalsSchema,
  })
  .openapi("IngestRun");

export const IngestRunDetailSchema = IngestRunSchema.extend({ files: z.array(IngestFileSchema) }).openapi("IngestRunDetail");

export const PopulateResultSchema = z
  .object({
    runId: z.number().int(),
    filesEnqueued: z.number().int(),
    newFiles: z.number().int(),
    objectsListed: z.number().int(),
    statusUrl: z.string().openapi({ example: "/api/ingest/runs/12" }),
  })
  .openapi("PopulateResult");

export type IngestFile = z.infer<typeof IngestFileSchema>;
export type IngestRun = z.infer<typeof IngestRunSchema>;

// The wire shapes are the domain's (src/core/domain/ingest.ts): if either side changes, this stops compiling.
const _sameShapes: [SameShape<IngestFile, DomainIngestFile>, SameShape<IngestRun, DomainIngestRun>] = [true, true];
void _sameShapes;
