import type { KeyValueStore } from "../../src/core/ports";

/** Faults a test switches on and off while the code under test runs. */
export interface KvFaults {
  /** Every read throws, as KV does during an incident. */
  failReads: boolean;
  /** Writes to the keys it accepts throw. */
  failWrites: (key: string) => boolean;
  /**
   * KV's documented limit of one write per second per key, on this clock: a second write to a
   * key within 1000 ms is refused with a 429, as production does (Miniflare does not).
   */
  writeRate: { now(): Date } | undefined;
  /** While set, writes wait for it before reaching KV (to land them after another isolate's). */
  holdWrites: Promise<void> | undefined;
}

/** The real KV behind a wrapper that injects the faults the real one cannot produce on demand. */
export function faultInjectingKv(inner: KeyValueStore) {
  const faults: KvFaults = { failReads: false, failWrites: () => false, writeRate: undefined, holdWrites: undefined };
  /** Keys written (reaching KV) and refused, in order. */
  const record = { written: [] as string[], refused: [] as string[] };
  const lastWrite = new Map<string, number>();

  const read = <T>(run: () => Promise<T>) => {
    if (faults.failReads) return Promise.reject(new Error("KV GET failed: 503 Service Unavailable"));
    return run();
  };
  const write = async (key: string, run: () => Promise<void>) => {
    if (faults.holdWrites) await faults.holdWrites;
    if (faults.failWrites(key)) {
      record.refused.push(key);
      throw new Error("KV PUT failed: 503 Service Unavailable");
    }
    if (faults.writeRate) {
      const at = faults.writeRate.now().getTime();
      const last = lastWrite.get(key);
      if (last !== undefined && at - last < 1000) {
        record.refused.push(key);
        throw new Error("KV PUT failed: 429 Too Many Requests");
      }
      lastWrite.set(key, at);
    }
    record.written.push(key);
    await run();
  };

  const kv: KeyValueStore = {
    get: (key) => read(() => inner.get(key)),
    getMany: (keys) => read(() => inner.getMany(keys)),
    put: (key, value, options) => write(key, () => inner.put(key, value, options)),
    delete: (key) => write(key, () => inner.delete(key)),
  };
  return { kv, faults, record };
}

/** A promise and the function that settles it: `faults.holdWrites = gate.promise; …; gate.open()`. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
