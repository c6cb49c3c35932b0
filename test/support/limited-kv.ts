import type { InvocationBudget } from "./invocation";
import type { KvFaults } from "./kv-faults";
import type { KvWriteRate } from "./kv-write-rate";
import { KV_LIMITS, kvErrors, utf8ByteLength, type KvOperation } from "./platform-limits";

function checkKey(op: KvOperation, key: string): void {
  const bytes = utf8ByteLength(key);
  if (bytes > KV_LIMITS.keyBytes) throw kvErrors.keyTooLong(op, bytes);
}

function valueBytes(value: unknown): number | undefined {
  if (typeof value === "string") return utf8ByteLength(value);
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.byteLength;
  return undefined; // a stream: its length is only known to KV
}

export interface LimitedKvOptions {
  /** The budget of the running invocation. */
  budget: () => InvocationBudget;
  /** Shared by every invocation and isolate that writes to this namespace. */
  writeRate: KvWriteRate;
  faults?: KvFaults;
}

/**
 * The real local KV, with the production limits Miniflare does not enforce: one write (put or
 * delete) per second per key (production's `KV PUT failed: 429 Too Many Requests`), 1,000
 * operations per invocation (a bulk get is one), plus key (512 B), value (25 MiB) and metadata
 * (1024 B) sizes with production's texts. `faults` injects failures on top, for outage tests.
 */
export function limitedKv(real: KVNamespace, { budget, writeRate, faults }: LimitedKvOptions): KVNamespace {
  const read = (op: KvOperation, keys: string | string[]) => {
    budget().spendKv();
    const all = Array.isArray(keys) ? keys : [keys];
    for (const key of all) checkKey(op, key);
    faults?.check("read", all.join(","));
  };
  const write = (op: KvOperation, key: string) => {
    budget().spendKv();
    checkKey(op, key);
    faults?.check("write", key);
  };
  const kv = {
    async get(key: string | string[], options?: unknown) {
      read("GET", key);
      return real.get(key as string, options as KVNamespaceGetOptions<"text">);
    },
    async getWithMetadata(key: string | string[], options?: unknown) {
      read("GET", key);
      return real.getWithMetadata(key as string, options as KVNamespaceGetOptions<"text">);
    },
    async list(options?: KVNamespaceListOptions) {
      read("LIST", options?.prefix ?? "");
      return real.list(options);
    },
    async put(key: string, value: string | ArrayBuffer | ArrayBufferView | ReadableStream, options?: KVNamespacePutOptions) {
      write("PUT", key);
      const bytes = valueBytes(value);
      if (bytes !== undefined && bytes > KV_LIMITS.valueBytes) throw kvErrors.valueTooBig(bytes);
      if (options?.metadata !== undefined && options.metadata !== null) {
        const metadataBytes = utf8ByteLength(JSON.stringify(options.metadata));
        if (metadataBytes > KV_LIMITS.metadataBytes) throw kvErrors.metadataTooBig(metadataBytes);
      }
      writeRate.claim(key, "PUT");
      return real.put(key, value, options);
    },
    async delete(key: string) {
      write("DELETE", key);
      writeRate.claim(key, "DELETE");
      return real.delete(key);
    },
  };
  return kv as unknown as KVNamespace;
}
