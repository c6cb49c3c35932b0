import { z } from "zod";

/** What the scanner puts on the ingest queue: a pointer to one file version, never its data. */
export const IngestMessageSchema = z.object({
  v: z.literal(1),
  fileId: z.number().int().positive(),
  runId: z.number().int().positive(),
  key: z.string().min(1).max(1024),
  etag: z.string().min(1).max(200),
  /** Which send of the file this is; lets a late dead letter from an earlier send be ignored. */
  deliveryId: z.string().min(1).max(64).optional(),
});

export type IngestMessage = z.infer<typeof IngestMessageSchema>;

/** Cloudflare Queues limits (docs: 100 messages and 256 KB per sendBatch). */
export const MAX_MESSAGES_PER_BATCH = 100;
export const MAX_BATCH_BYTES = 256_000;
/** Per-message overhead the queue adds to the serialized size (measured locally: 24–30 bytes). */
const MESSAGE_OVERHEAD_BYTES = 64;

/** Splits messages into batches that respect both the count and the byte limit. */
export function toBatches<T>(messages: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = new TextEncoder().encode(JSON.stringify(message)).byteLength + MESSAGE_OVERHEAD_BYTES;
    if (current.length > 0 && (current.length >= MAX_MESSAGES_PER_BATCH || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
