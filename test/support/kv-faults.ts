export type KvFaultKind = "read" | "write";

/**
 * Makes KV operations fail on demand (the real local KV cannot be made to): a KV outage, or a
 * flaky write. Reads are get / getWithMetadata / list; writes are put / delete.
 */
export class KvFaults {
  private rules: { kind: KvFaultKind; remaining: number; error: () => Error }[] = [];
  /** Operations that failed because of a rule, newest last. */
  readonly injected: { kind: KvFaultKind; key: string }[] = [];

  /** Fails the next `times` operations of `kind` (every one, by default). */
  fail(kind: KvFaultKind, options: { times?: number; error?: () => Error } = {}): void {
    const op = kind === "read" ? "GET" : "PUT";
    this.rules.push({
      kind,
      remaining: options.times ?? Infinity,
      error: options.error ?? (() => new Error(`KV ${op} failed: 503 Service Unavailable`)),
    });
  }

  clear(): void {
    this.rules = [];
    this.injected.length = 0;
  }

  /** Throws when a rule says this operation fails. */
  check(kind: KvFaultKind, key: string): void {
    const rule = this.rules.find((r) => r.kind === kind && r.remaining > 0);
    if (!rule) return;
    rule.remaining--;
    this.injected.push({ kind, key });
    throw rule.error();
  }
}
