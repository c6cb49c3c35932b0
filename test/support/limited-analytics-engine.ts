import type { InvocationBudget } from "./invocation";
import { ANALYTICS_ENGINE_LIMITS as LIMITS, analyticsEngineErrors, utf8ByteLength } from "./platform-limits";

/**
 * The data points a test file's Worker wrote, in order. Miniflare's Analytics Engine binding
 * accepts points and keeps none (it has no local store to query), so this log is how a test sees
 * what production's dataset would receive. `failWith` makes every write throw, as a broken
 * binding would.
 */
export class DataPointLog {
  points: AnalyticsEngineDataPoint[] = [];
  failWith: Error | undefined;

  clear(): void {
    this.points = [];
    this.failWith = undefined;
  }
}

function check(point: AnalyticsEngineDataPoint): void {
  const blobs = point.blobs ?? [];
  const indexes = point.indexes ?? [];
  if (blobs.length > LIMITS.blobs) throw analyticsEngineErrors.invalid(`${blobs.length} blobs (at most ${LIMITS.blobs})`);
  if ((point.doubles ?? []).length > LIMITS.doubles) throw analyticsEngineErrors.invalid(`more than ${LIMITS.doubles} doubles`);
  if (indexes.length > LIMITS.indexes) throw analyticsEngineErrors.invalid(`${indexes.length} indexes (at most ${LIMITS.indexes})`);
  for (const index of indexes) {
    const bytes = typeof index === "string" ? utf8ByteLength(index) : (index?.byteLength ?? 0);
    if (bytes > LIMITS.indexBytes) throw analyticsEngineErrors.invalid(`an index of ${bytes} bytes (at most ${LIMITS.indexBytes})`);
  }
  const blobBytes = blobs.reduce((sum: number, blob) => sum + (typeof blob === "string" ? utf8ByteLength(blob) : (blob?.byteLength ?? 0)), 0);
  if (blobBytes > LIMITS.blobBytes) throw analyticsEngineErrors.invalid(`${blobBytes} bytes of blobs (at most ${LIMITS.blobBytes})`);
}

/**
 * The real local dataset binding, with production's limits per data point and per invocation
 * (https://developers.cloudflare.com/analytics/analytics-engine/limits/), recording every point it
 * passes on in `log`.
 */
export function limitedAnalyticsEngine(real: AnalyticsEngineDataset, { budget, log }: { budget: () => InvocationBudget; log: DataPointLog }): AnalyticsEngineDataset {
  return {
    writeDataPoint(point?: AnalyticsEngineDataPoint) {
      if (log.failWith) throw log.failWith;
      const written = point ?? {};
      check(written);
      budget().spendDataPoint();
      real.writeDataPoint(written);
      log.points.push(structuredClone(written));
    },
  };
}
