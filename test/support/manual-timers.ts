import type { Timers } from "../../src/core/data/data-version";
import type { Clock } from "./kv-write-rate";

/**
 * A clock and sleeps that move only when the test says so. Give the same instance to the code
 * under test (as its Timers) and to the limited KV (as the write-rate clock), so both agree on
 * what time it is.
 */
export class ManualTimers implements Timers, Clock {
  private t = 1_800_000_000_000;
  private sleepers: { until: number; wake: () => void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.sleepers.push({ until: this.t + ms, wake });
    });

  /** Sleeps started and not yet over. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Moves time forward and wakes every sleep that is over. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const sleeper of due) sleeper.wake();
  }
}
