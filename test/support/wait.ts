/**
 * Polls `probe` until `accept` holds (or, without `accept`, until it returns a truthy value) and
 * returns that value; fails with the last value after `timeoutMs`. For conditions that become
 * true on their own (a queue delivery, a deferred write): never a fixed sleep.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(probe: () => Promise<T>, accept: (value: T) => boolean, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(
  probe: () => Promise<T>,
  acceptOrOptions?: ((value: T) => boolean) | WaitOptions,
  maybeOptions: WaitOptions = {},
): Promise<T> {
  const accept = typeof acceptOrOptions === "function" ? acceptOrOptions : (value: T) => Boolean(value);
  const { timeoutMs = 30_000, intervalMs = 50, what = "condition" } = typeof acceptOrOptions === "function" ? maybeOptions : (acceptOrOptions ?? {});
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Names the condition in the timeout's message. */
  what?: string;
}
