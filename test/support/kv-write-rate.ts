import { KV_LIMITS, kvErrors, type KvOperation } from "./platform-limits";

export interface Clock {
  now(): number;
}

/**
 * The wall clock, shifted by whatever a test advanced it by: a test can let "a second pass" for
 * KV's write rate without waiting for it.
 */
export class AdvanceableClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface KvWrite {
  key: string;
  op: KvOperation;
  at: number;
}

/**
 * KV's limit of one write per second to the same key. Production enforces it across every
 * invocation and isolate, so this state outlives an invocation: one instance per namespace, keyed
 * by KV key. A write inside the interval is refused with production's 429 and recorded, so a test
 * can also assert that nothing was refused (code that catches the error would otherwise hide it).
 */
export class KvWriteRate {
  private readonly lastWrite = new Map<string, number>();
  readonly writes: KvWrite[] = [];
  readonly refused: KvWrite[] = [];

  constructor(readonly clock: Clock = new AdvanceableClock()) {}

  /** Records a write to `key` now, or throws production's 429 when the key was written less than a second ago. */
  claim(key: string, op: KvOperation): void {
    const at = this.clock.now();
    const last = this.lastWrite.get(key);
    if (last !== undefined && at - last < KV_LIMITS.writeIntervalMs) {
      this.refused.push({ key, op, at });
      throw kvErrors.writeRateExceeded(op);
    }
    this.lastWrite.set(key, at);
    this.writes.push({ key, op, at });
  }

  writesTo(key: string): KvWrite[] {
    return this.writes.filter((w) => w.key === key);
  }

  refusedFor(key: string): KvWrite[] {
    return this.refused.filter((w) => w.key === key);
  }
}
