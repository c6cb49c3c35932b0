import type { RateLimiter } from "../../core/ports";

/** The Workers Rate Limiting binding: per location, eventually consistent, allowed/denied only. */
export function bindingRateLimiter(binding: RateLimit): RateLimiter {
  return {
    async limit(key) {
      const { success } = await binding.limit({ key });
      return { allowed: success };
    },
  };
}
