/** A clock that moves only when the test says so (the `now` port of the code under test). */
export function manualClock(start = Date.now()) {
  let at = start;
  return {
    now: () => new Date(at),
    advance(ms: number) {
      at += ms;
    },
    get ms() {
      return at;
    },
  };
}

export type ManualClock = ReturnType<typeof manualClock>;
