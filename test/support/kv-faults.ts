import type { KeyValueStore } from "../../src/core/ports";
import type { KvWriteRate } from "./kv-write-rate";

export type KvFaultKind = "read" | "write";

/**
 * KV failures a test switches on and off while the code under test runs — the ones the real
 * local KV cannot produce on demand: an outage (every read or write throws), a flaky write, a
 * write that lands late. One model for both places a test can put them: on the binding
 * (limited-kv.ts, under the Worker's own services) or on the core's port (`faultyKvStore`, for
 * a test that builds its own services over a KV of its own).
 */
export class KvFaults {
  private rules: { kind: KvFaultKind; remaining: number; keys: (key: string) => boolean; error: () => Error }[] = [];
  private held: Promise<void> | undefined;
  /** Operations that failed because of a rule, oldest first. */
  readonly injected: { kind: KvFaultKind; key: string }[] = [];

  /** Fails the next `times` operations of `kind` (every one, by default) on the keys `keys` accepts (all, by default). */
  fail(kind: KvFaultKind, options: { times?: number; keys?: (key: string) => boolean; error?: () => Error } = {}): void {
    const op = kind === "read" ? "GET" : "PUT";
    this.rules.push({
      kind,
      remaining: options.times ?? Infinity,
      keys: options.keys ?? (() => true),
      error: options.error ?? (() => new Error(`KV ${op} failed: 503 Service Unavailable`)),
    });
  }

  /** Writes wait for `until` before reaching KV (to land them after another isolate's). */
  holdWrites(until: Promise<void>): void {
    this.held = until;
  }

  /** KV works again: no rule, nothing held, nothing injected so far. */
  clear(): void {
    this.rules = [];
    this.held = undefined;
    this.injected.length = 0;
  }

  /** Throws when a rule says this operation fails. */
  check(kind: KvFaultKind, key: string): void {
    const rule = this.rules.find((r) => r.kind === kind && r.remaining > 0 && r.keys(key));
    if (!rule) return;
    rule.remaining--;
    this.injected.push({ kind, key });
    throw rule.error();
  }

  /** Resolves when writes may go ahead (see `holdWrites`). */
  async writeAllowed(): Promise<void> {
    await this.held;
  }
}

/**
 * The core's KeyValueStore `inner` with `faults` injected, and — when `writeRate` is given — KV's
 * one write per second per key on that rate's clock. `record` lists the keys whose writes reached
 * KV and those refused (by a fault or the write rate), in order.
 */
export function faultyKvStore(inner: KeyValueStore, options: { faults?: KvFaults; writeRate?: KvWriteRate } = {}) {
  const faults = options.faults ?? new KvFaults();
  const record = { written: [] as string[], refused: [] as string[] };
  const write = async (key: string, op: "PUT" | "DELETE", run: () => Promise<void>) => {
    await faults.writeAllowed();
    try {
      faults.check("write", key);
      options.writeRate?.claim(key, op);
    } catch (error) {
      record.refused.push(key);
      throw error;
    }
    record.written.push(key);
    await run();
  };
  const kv: KeyValueStore = {
    get: async (key) => (faults.check("read", key), inner.get(key)),
    getMany: async (keys) => (faults.check("read", keys.join(",")), inner.getMany(keys)),
    put: (key, value, putOptions) => write(key, "PUT", () => inner.put(key, value, putOptions)),
    delete: (key) => write(key, "DELETE", () => inner.delete(key)),
  };
  return { kv, faults, record };
}

/** A promise and the function that settles it: `faults.holdWrites(gate.promise); …; gate.open()`. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
