import { createLogger, type LogFields } from "../../core/log";
import type { Metrics } from "../../core/ports";

/**
 * Deno has no Analytics Engine: each data point is one JSON line on stdout, written at every
 * LOG_LEVEL, `{"msg":"metric","metric":"request",…}` with the fields of the core's MetricPoint
 * by name (ports.ts). A log shipper turns them into counters and histograms (Vector's
 * `log_to_metric`, Grafana Alloy's `loki.process` metrics stage, Datadog log-based metrics;
 * README "Running on Deno"); without one they are searchable in journald like any log line.
 */
export function createLogMetrics(fields: LogFields, now?: () => Date): Metrics {
  const log = createLogger("info", fields, now);
  return {
    record: ({ type, ...values }) => log.info("metric", { metric: type, ...values }),
  };
}
