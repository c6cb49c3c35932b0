import type { RateLimiter, RateLimitOutcome, RateLimitPolicy } from "../../core/ports";

/** Compare-and-set attempts before a count fails as "too contended". */
const MAX_CAS_ATTEMPTS = 64;

interface Waiter {
  resolve(outcome: RateLimitOutcome): void;
  reject(error: unknown): void;
}

/**
 * Exact fixed-window counters in Deno KV: one counter per key and window (floor(now / period),
 * the wall-clock windows the RateLimit header announces), advanced with a compare-and-set, so
 * every allowed request gets its own ordinal and `remaining` / `resetSeconds` are exact for
 * every process sharing the database. Refused requests do not count.
 *
 * Within a process, requests for one key are counted in groups: while one compare-and-set is in
 * flight, later requests wait and are then counted together by the next one (count + n, capped
 * at the limit, ordinals handed out in arrival order). A busy key costs one KV round trip per
 * group rather than per request, and the counts stay exact.
 */
export function createRateLimiter(kv: Deno.Kv, policy: RateLimitPolicy, now: () => Date): RateLimiter {
  const periodMs = policy.periodSeconds * 1000;
  const waiting = new Map<string, Waiter[]>();

  async function countGroup(key: string, size: number): Promise<RateLimitOutcome[]> {
    const at = now().getTime();
    const window = Math.floor(at / periodMs);
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * periodMs - at) / 1000));
    // The policy names the counter family, so the per-key and per-IP limiters never share counters.
    const counter: Deno.KvKey = ["ratelimit", policy.name, key, window];
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const entry = await kv.get<Deno.KvU64>(counter);
      const used = entry.value ? Number(entry.value.value) : 0;
      const granted = Math.max(0, Math.min(size, policy.limit - used));
      const outcomes = Array.from({ length: size }, (_, i): RateLimitOutcome =>
        i < granted ? { allowed: true, remaining: policy.limit - used - i - 1, resetSeconds } : { allowed: false, remaining: 0, resetSeconds },
      );
      if (granted === 0) return outcomes;
      const committed = await kv
        .atomic()
        .check(entry)
        // Kept one extra period so a counter is never dropped while its window is open.
        .set(counter, new Deno.KvU64(BigInt(used + granted)), { expireIn: 2 * periodMs })
        .commit();
      if (committed.ok) return outcomes;
    }
    throw new Error(`rate limiter: counter ${policy.name} too contended`);
  }

  async function drain(key: string, queue: Waiter[]) {
    while (queue.length > 0) {
      const group = queue.splice(0);
      try {
        const outcomes = await countGroup(key, group.length);
        group.forEach((waiter, i) => waiter.resolve(outcomes[i]!));
      } catch (error) {
        for (const waiter of group) waiter.reject(error);
      }
    }
    waiting.delete(key);
  }

  return {
    limit(key) {
      return new Promise((resolve, reject) => {
        const queue = waiting.get(key);
        if (queue) {
          queue.push({ resolve, reject });
          return;
        }
        const fresh: Waiter[] = [{ resolve, reject }];
        waiting.set(key, fresh);
        void drain(key, fresh);
      });
    },
  };
}
