import type { RateLimiter, RateLimitPolicy } from "../../core/ports";

/** Keys whose counts this isolate keeps; the oldest is dropped first. */
const SEEN_MAX_ENTRIES = 10_000;

/**
 * The Workers Rate Limiting binding (https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/):
 * per Cloudflare location, eventually consistent, and it answers allowed or denied only. The
 * `remaining` this adapter reports is therefore this isolate's count of the key's requests in
 * the current window: an upper bound on what is really left, exact only when one isolate serves
 * the key. The limit itself is the binding's (`simple.limit` in wrangler.toml, which must equal
 * the policy's: test/node/wrangler-config.test.ts).
 */
export function createRateLimiter(binding: RateLimit, policy: RateLimitPolicy, now: () => Date): RateLimiter {
  const seen = new Map<string, { window: number; count: number }>();

  function localCount(key: string, window: number): number {
    const entry = seen.get(key);
    if (entry && entry.window === window) return ++entry.count;
    if (!entry && seen.size >= SEEN_MAX_ENTRIES) seen.delete(seen.keys().next().value!);
    seen.set(key, { window, count: 1 });
    return 1;
  }

  return {
    async limit(key) {
      const period = policy.periodSeconds;
      const at = now().getTime() / 1000;
      const { success } = await binding.limit({ key });
      const count = localCount(key, Math.floor(at / period));
      return { allowed: success, remaining: Math.max(0, policy.limit - count), resetSeconds: Math.max(1, Math.ceil(period - (at % period))) };
    },
  };
}
