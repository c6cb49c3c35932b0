import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { dataPoint } from "../../src/platform/cloudflare/metrics";
import { InvocationBudget } from "./invocation";
import { DataPointLog, limitedAnalyticsEngine } from "./limited-analytics-engine";
import { ANALYTICS_ENGINE_LIMITS as LIMITS } from "./platform-limits";

// The limited dataset is the real local binding (which keeps nothing) with production's limits,
// recording the points it passes on. Each limit passes at its edge and fails one past it.

function dataset() {
  const log = new DataPointLog();
  const budget = new InvocationBudget();
  return { metrics: limitedAnalyticsEngine(env.METRICS, { budget: () => budget, log }), log };
}

describe("the limited Analytics Engine dataset", () => {
  it("records what it passes on", () => {
    const { metrics, log } = dataset();
    metrics.writeDataPoint({ indexes: ["k"], blobs: ["a", "b"], doubles: [1, 2] });
    expect(log.points).toEqual([{ indexes: ["k"], blobs: ["a", "b"], doubles: [1, 2] }]);
  });

  it("takes 20 blobs and 20 doubles, not 21", () => {
    const { metrics } = dataset();
    metrics.writeDataPoint({ blobs: Array(LIMITS.blobs).fill("x"), doubles: Array(LIMITS.doubles).fill(1) });
    expect(() => metrics.writeDataPoint({ blobs: Array(LIMITS.blobs + 1).fill("x") })).toThrow(/21 blobs/);
    expect(() => metrics.writeDataPoint({ doubles: Array(LIMITS.doubles + 1).fill(1) })).toThrow(/doubles/);
  });

  it("takes one index of 96 bytes, not two indexes or 97 bytes (in UTF-8)", () => {
    const { metrics } = dataset();
    metrics.writeDataPoint({ indexes: ["é".repeat(48)] });
    expect(() => metrics.writeDataPoint({ indexes: ["a", "b"] })).toThrow(/2 indexes/);
    expect(() => metrics.writeDataPoint({ indexes: ["é".repeat(48) + "a"] })).toThrow(/97 bytes/);
  });

  it("takes 16 KB of blobs per point, not one byte more", () => {
    const { metrics } = dataset();
    metrics.writeDataPoint({ blobs: ["x".repeat(LIMITS.blobBytes - 1), "y"] });
    expect(() => metrics.writeDataPoint({ blobs: ["x".repeat(LIMITS.blobBytes), "y"] })).toThrow(/16385 bytes of blobs/);
  });

  it("takes 250 points per invocation, not 251", () => {
    const { metrics } = dataset();
    for (let i = 0; i < LIMITS.dataPointsPerInvocation; i++) metrics.writeDataPoint({ blobs: [String(i)] });
    expect(() => metrics.writeDataPoint({ blobs: ["one too many"] })).toThrow(/more than 250 data points/);
  });

  it("accepts the largest points the Worker writes: an ingest file with a 1024-byte S3 key, a request with a long route", () => {
    const { metrics, log } = dataset();
    const file = dataPoint({ type: "ingest-file", outcome: "failed", fileId: 2 ** 31, key: "k".repeat(1024), errorCode: "gzip-ratio-too-high", attempt: 100, durationMs: 1e6, bytes: 2 ** 30, recordsSeen: 5e5, recordsRejected: 5e5, recordsUpserted: 0, gamesWritten: 0 });
    const request = dataPoint({ type: "request", route: "/api/ingest/files/:id/retry", method: "OPTIONS", status: 503, cache: "BYPASS", durationMs: 30_000, keyId: String(Number.MAX_SAFE_INTEGER) });
    metrics.writeDataPoint(file);
    metrics.writeDataPoint(request);
    expect(log.points).toHaveLength(2);
  });
});
