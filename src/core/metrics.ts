import { describeError, type Logger } from "./log";
import type { Metrics } from "./ports";

/** A refused point is logged on the first failure and then once per this many. */
const LOG_EVERY = 1000;

/**
 * The platform's metrics sink behind a guard: a point the sink refuses (Analytics Engine over its
 * per-invocation quota, an adapter bug) is dropped and counted, and the request or file it
 * describes carries on. Refusals are logged on the first one and then every 1000th, so a sink
 * that fails on every point does not double the log volume.
 */
export function guardedMetrics(sink: Metrics, log: Logger): Metrics & { readonly failures: number } {
  let failures = 0;
  return {
    get failures() {
      return failures;
    },
    record(point) {
      try {
        sink.record(point);
      } catch (error) {
        if (failures++ % LOG_EVERY === 0) log.warn("metric dropped: the metrics sink refused it", { metric: point.type, failures, error: describeError(error) });
      }
    },
  };
}
