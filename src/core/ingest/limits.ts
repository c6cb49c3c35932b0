import { IngestError } from "./errors";

/**
 * Caps that keep one file inside what one queue invocation may spend, so that no input can kill
 * the consumer (CPU, memory, D1's query budget) and loop: a file over a cap fails at once with a
 * permanent error whose code names the cap. The figures and the measurements behind them are in
 * README "How ingestion works" and docs/BENCHMARKS.md ("Caps"); the production limits they
 * respect in docs/ARCHITECTURE.md ("Platform limits the code respects").
 */
export interface IngestLimits {
  /** Largest record, in bytes: in the array layouts from its first to its last byte, in NDJSON a line without its `\n`. */
  maxRecordBytes: number;
  /** Largest file, in bytes, as downloaded and (for gzip) after decompression. */
  maxFileBytes: number;
  /** Highest gzip expansion (decompressed ÷ compressed bytes) … */
  maxGzipRatio: number;
  /** … checked once this many bytes have been decompressed (a small file cannot be a bomb). */
  gzipRatioGraceBytes: number;
  /** Most records (valid or rejected) per file. */
  maxRecords: number;
  /** Largest staging statement payload (one bound JSON value), in UTF-8 bytes. */
  stagePayloadBytes: number;
  /** D1 queries one invocation may make (a batch counts each statement). */
  queriesPerInvocation: number;
  /** Of those, kept for everything but staging: claim, cleanup, commit batch, ledger writes. */
  reservedQueries: number;
}

const MiB = 1024 * 1024;

export const INGEST_LIMITS: Readonly<IngestLimits> = {
  // Real records are 1.5–4.2 KB; a 1 MiB record is 250 times that and still parses in
  // milliseconds, while the parser holds at most one record (plus one 64 KiB slice) in memory.
  maxRecordBytes: MiB,
  // 18–36 ns of Worker CPU per byte of the sample format in workerd (docs/BENCHMARKS.md, "Caps"):
  // 1 GiB is 20–40 s of the 300 s `cpu_ms`, margin for slower hardware and token-dense JSON.
  maxFileBytes: 1024 * MiB,
  // The data team's files compress 9–13 times; DEFLATE's ceiling (a bomb) is ~1,030.
  maxGzipRatio: 200,
  gzipRatioGraceBytes: 16 * MiB,
  // Bounds the staging rows and the merge of the atomic commit batch (D1: 30 s per batch; 3.5 s
  // for 500,000 new games in docs/BENCHMARKS.md, "Caps").
  maxRecords: 500_000,
  // D1 refuses a bound value over 2,000,000 bytes; 5 % margin.
  stagePayloadBytes: 1_900_000,
  // D1's limit per Worker invocation on the paid plan.
  queriesPerInvocation: 1_000,
  reservedQueries: 50,
};

export type LimitCode = "record-too-large" | "file-too-large" | "gzip-ratio-too-high" | "too-many-records" | "too-many-queries";

/** A permanent failure naming the cap the file crossed. */
export const limitExceeded = (code: LimitCode, message: string) => new IngestError("permanent", code, message);

/** `1048576` → `1,048,576`: caps in error messages, readable by the data team. */
export const formatCount = (n: number) => n.toLocaleString("en-US");

/**
 * Counts the D1 queries an invocation makes against a budget, so that the product refuses a file
 * (permanently, naming the limit) before D1 would refuse a query mid-file (a transient-looking
 * error that would be retried forever).
 */
export class QueryBudget {
  #spent = 0;

  constructor(
    readonly limit: number,
    private readonly what: string,
    /** Why the budget is what it is, for the error message. */
    private readonly why: string,
  ) {}

  get spent(): number {
    return this.#spent;
  }

  /** Counts `queries` about to be made; throws `too-many-queries` if they do not fit. */
  spend(queries: number, purpose: string): void {
    if (this.#spent + queries > this.limit) {
      throw limitExceeded(
        "too-many-queries",
        `${this.what}: ${purpose} would be query ${formatCount(this.#spent + queries)}, over the budget of ${formatCount(this.limit)} (${this.why})`,
      );
    }
    this.#spent += queries;
  }
}

/** The staging share of an invocation's D1 queries under `limits`. */
export const stagingBudget = (limits: IngestLimits, what: string) =>
  new QueryBudget(
    limits.queriesPerInvocation - limits.reservedQueries,
    what,
    `D1 allows ${formatCount(limits.queriesPerInvocation)} queries per invocation; ${formatCount(limits.reservedQueries)} are kept for the claim, cleanup, commit and ledger`,
  );
