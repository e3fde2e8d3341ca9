// For tests that wait without a deadline of their own (they bound their work, not the clock): while a
// promise is pending, say each minute what is awaited and what `diagnosis` shows, so that a hang says where
// it is before the test's timeout ends it.

/** `p`, printing `what` and `diagnosis()` each minute until it settles. */
export function sayWhilePending<T>(p: Promise<T>, what: string, diagnosis: () => string): Promise<T> {
  const t0 = performance.now();
  const timer = setInterval(
    () => console.log(`${what} after ${((performance.now() - t0) / 1000).toFixed(0)} s: ${diagnosis()}`),
    60_000,
  ).unref();
  void p.then(
    () => clearInterval(timer),
    () => clearInterval(timer),
  );
  return p;
}
