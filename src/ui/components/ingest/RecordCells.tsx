import { formatNumber } from "../../format";
import type { RecordCounts } from "../../record-counts";

/** Column headings for the record counts of a run or a file, in the order RecordCells renders them. */
export function RecordHeadings() {
  return (
    <>
      <th scope="col" class="num">
        Records seen
      </th>
      <th scope="col" class="num">
        Valid games
      </th>
      <th scope="col" class="num">
        Rejected
      </th>
      <th scope="col" class="num">
        Repeated
      </th>
      <th scope="col" class="num">
        Games written
      </th>
    </>
  );
}

export function RecordCells({ counts }: { counts: RecordCounts }) {
  const cell = (label: string, value: number | null, testId: string) => (
    <td data-label={label} class="num" data-testid={testId}>
      {formatNumber(value)}
    </td>
  );
  return (
    <>
      {cell("Records seen", counts.seen, "records-seen")}
      {cell("Valid games", counts.valid, "records-valid")}
      {cell("Rejected", counts.rejected, "records-rejected")}
      {cell("Repeated", counts.repeated, "records-repeated")}
      {cell("Games written", counts.written, "games-written")}
    </>
  );
}

/** What the columns mean: shown under every table of counts. */
export const RECORDS_LEGEND =
  "Records seen = valid games + rejected records + repeated records (a game listed again in the same file counts once). Games written: valid games that were new or changed; the others already had these values, or newer ones.";
