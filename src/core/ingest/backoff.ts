/**
 * Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, with ±20 % jitter
 * so that files failing together do not retry in lockstep.
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number, maxSeconds: number, random = Math.random): number {
  const exponential = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (0.8 + 0.4 * random());
  return Math.max(1, Math.min(maxSeconds, Math.round(jittered)));
}
