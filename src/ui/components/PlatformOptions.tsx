import { PLATFORM_LABELS, type Platform } from "../types";

/** One <option> per platform, for the search form's filter and the game form's field. */
export function PlatformOptions() {
  return (
    <>
      {(Object.keys(PLATFORM_LABELS) as Platform[]).map((p) => (
        <option key={p} value={p}>
          {PLATFORM_LABELS[p]}
        </option>
      ))}
    </>
  );
}
