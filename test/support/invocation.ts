import { AsyncLocalStorage } from "node:async_hooks";
import { ANALYTICS_ENGINE_LIMITS, analyticsEngineErrors, D1_LIMITS, d1Errors, KV_LIMITS, kvErrors } from "./platform-limits";

/**
 * What one Worker invocation (a fetch, a scheduled event, a queue batch — including the work it
 * hands to `waitUntil`) may still spend: D1 queries, KV operations and Analytics Engine data
 * points are counted separately, each against its own documented per-invocation limit.
 */
export class InvocationBudget {
  d1Queries = 0;
  kvOperations = 0;
  dataPoints = 0;

  spendD1(queries: number): void {
    if (this.d1Queries + queries > D1_LIMITS.queriesPerInvocation) throw d1Errors.tooManyQueries();
    this.d1Queries += queries;
  }

  spendKv(operations = 1): void {
    if (this.kvOperations + operations > KV_LIMITS.operationsPerInvocation) throw kvErrors.tooManyOperations();
    this.kvOperations += operations;
  }

  spendDataPoint(): void {
    if (this.dataPoints + 1 > ANALYTICS_ENGINE_LIMITS.dataPointsPerInvocation) throw analyticsEngineErrors.tooManyDataPoints();
    this.dataPoints += 1;
  }
}

const current = new AsyncLocalStorage<InvocationBudget>();

/**
 * Runs `handler` as one invocation with a fresh budget. The budget follows every promise the
 * handler starts (async context), so deferred work counts against the invocation that deferred
 * it, as it does in production.
 */
export function asInvocation<T>(handler: () => T, budget = new InvocationBudget()): T {
  return current.run(budget, handler);
}

/** The budget of the invocation running now; throws outside of one (a wiring mistake in a test). */
export function currentBudget(): InvocationBudget {
  const budget = current.getStore();
  if (!budget) throw new Error("limited binding used outside of an invocation: wrap the call in asInvocation()");
  return budget;
}
