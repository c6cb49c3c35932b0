import { formatNumber } from "../../format";

interface Props {
  page: number;
  /** Pages in all, and whether that is only a lower bound (the API counted matches up to its cap). */
  pages: { count: number; atLeast: boolean } | null;
  busy: boolean;
  onFirst: (() => void) | null;
  onPrevious: (() => void) | null;
  onNext: (() => void) | null;
}

/** First / Previous / "Page 2 of 24" / Next. */
export function Pager({ page, pages, busy, onFirst, onPrevious, onNext }: Props) {
  const of = pages ? ` of ${pages.atLeast ? "at least " : ""}${formatNumber(pages.count)}` : "";
  return (
    <nav class="pager" aria-label="Pagination">
      <button type="button" onClick={onFirst ?? undefined} disabled={!onFirst || busy}>
        First page
      </button>
      <button type="button" onClick={onPrevious ?? undefined} disabled={!onPrevious || busy}>
        Previous page
      </button>
      <span class="muted" data-testid="pager-position">
        Page {formatNumber(page)}
        {of}
      </span>
      <button type="button" class="primary" onClick={onNext ?? undefined} disabled={!onNext || busy}>
        Next page
      </button>
    </nav>
  );
}
