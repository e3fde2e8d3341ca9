// Waiting on real threads without a wall-clock bound: a condition is awaited for as long as something
// moves, and given up only once nothing has moved for a quiet time. On a loaded machine a thread can go
// unscheduled for longer than any fixed bound a quiet machine suggests; progress cannot be faked by load.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll every `pollMs` until `done()`: true then; false once `progress()` has not changed for `quietMs`
 * (the machine went still without getting there).
 */
export async function untilStill(
  done: () => boolean,
  progress: () => number | string,
  quietMs: number,
  pollMs: number,
): Promise<boolean> {
  let seen = progress();
  let quietSince = performance.now();
  while (!done()) {
    await sleep(pollMs);
    const now = progress();
    if (now !== seen) {
      seen = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince > quietMs) return false;
  }
  return true;
}

/**
 * Until `count()` is 0: true then; false once neither `progress()` nor the count has changed for `quietMs`
 * (polled every 5 ms).
 */
export function untilNone(count: () => number, progress: () => number, quietMs: number): Promise<boolean> {
  return untilStill(
    () => count() === 0,
    () => `${progress()}/${count()}`,
    quietMs,
    5,
  );
}
