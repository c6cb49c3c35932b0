import type { MetricPoint, Metrics } from "../../core/ports";

/**
 * A data point's columns in Workers Analytics Engine. Positions are the dataset's schema: the
 * dashboards and alerts in docs/RUNBOOK.md ("Metrics") query `blob1`…, `double1`… by these
 * positions, so a column is only ever appended, never moved.
 *
 * request:      index1 key id (or "none")  blob1 "request"  blob2 route pattern  blob3 method
 *               blob4 cache (HIT, MISS, BYPASS or "")  blob5 status class ("2xx"…)
 *               double1 duration ms  double2 status
 * ingest_file:  index1 "ingest"  blob1 "ingest_file"  blob2 outcome (done, failed, retry, dead)
 *               blob3 error code (or "")  blob4 S3 key
 *               double1 duration ms  double2 bytes  double3 records seen  double4 records rejected
 *               double5 records upserted  double6 games written  double7 file id  double8 attempt
 *
 * The index is the sampling key (Analytics Engine samples per index under load, and says by how
 * much in `_sample_interval`): per API key for requests, so one team's burst does not thin out
 * another team's figures.
 */
export function dataPoint(point: MetricPoint): AnalyticsEngineDataPoint {
  switch (point.type) {
    case "request":
      return {
        indexes: [point.keyId ?? "none"],
        blobs: ["request", point.route, point.method, point.cache ?? "", `${Math.floor(point.status / 100)}xx`],
        doubles: [point.durationMs, point.status],
      };
    case "ingest-file":
      return {
        indexes: ["ingest"],
        blobs: ["ingest_file", point.outcome, point.errorCode ?? "", point.key],
        doubles: [point.durationMs, point.bytes, point.recordsSeen, point.recordsRejected, point.recordsUpserted, point.gamesWritten, point.fileId, point.attempt],
      };
  }
}

/**
 * Metrics written to the `METRICS` dataset. `writeDataPoint` returns at once: the runtime sends
 * the point after the invocation, so nothing waits for it
 * (https://developers.cloudflare.com/analytics/analytics-engine/get-started/).
 */
export function createMetrics(dataset: AnalyticsEngineDataset): Metrics {
  return { record: (point) => dataset.writeDataPoint(dataPoint(point)) };
}
