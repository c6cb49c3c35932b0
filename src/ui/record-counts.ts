// How a file's (or a run's) record counts add up, from the figures the API reports per file:
// every record seen is a valid game, a rejected record, or a repeat of a game already seen in
// the same file (staged once: `recordsUpserted` counts distinct games, src/core/data/staging.ts).
// Of the valid games, `gamesWritten` were new or changed; the others were unchanged (the same
// values already stored, or stored from a newer file).
import type { IngestFile } from "./types";

type Figures = Pick<IngestFile, "recordsSeen" | "recordsUpserted" | "recordsRejected" | "gamesWritten">;

export interface RecordCounts {
  seen: number | null;
  valid: number | null;
  rejected: number | null;
  /** Records repeating a game seen earlier in the same file. */
  repeated: number | null;
  written: number | null;
  /** Valid games that changed nothing. */
  unchanged: number | null;
}

const difference = (a: number | null, ...rest: (number | null)[]) => (a === null || rest.some((n) => n === null) ? null : a - rest.reduce<number>((sum, n) => sum + n!, 0));

export function recordCounts(figures: Figures): RecordCounts {
  const { recordsSeen: seen, recordsUpserted: valid, recordsRejected: rejected, gamesWritten: written } = figures;
  return { seen, valid, rejected, written, repeated: difference(seen, valid, rejected), unchanged: difference(valid, written) };
}
