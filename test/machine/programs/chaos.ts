// The guest side of the fault-injection test: `calls` calls to the chaos service on one client, each
// told how to go by a seeded PRNG (at most one worker exit per program), with a timeout so a call the
// service never completes ends through the cancel path. Returns how each call ended.
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { Prng } from '../../../src/runtime/prng.js';
import { Chaos, CHAOS_KINDS } from '../services/chaos.js';

/** One call: what it was told, and how it ended. */
export interface ChaosEnding {
  readonly how: number;
  readonly rc: number;
  readonly result: number;
  /** Parameter 1 after the call (sent as the call's index). */
  readonly value: number;
  readonly cancel: string | undefined;
}

export function chaosLoop(
  g: GuestContext,
  a: { seed: number; calls: number; timeoutMs: number },
): ChaosEnding[] {
  const rng = new Prng(a.seed);
  const c = g.connect('chaos');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect chaos: ${c.rc}`);
  const out: ChaosEnding[] = [];
  let exits = 0;
  for (let i = 0; i < a.calls; i++) {
    let how = rng.next() % CHAOS_KINDS;
    if (how === Chaos.EXIT_WORKER && exits++ > 0) how = Chaos.OK;
    const r = g.call(
      c.clientId,
      1,
      [
        { type: 'u32', value: how },
        { type: 'u32', value: i },
      ],
      { timeoutMs: a.timeoutMs },
    );
    const p = r.parms[1];
    out.push({
      how,
      rc: r.rc,
      result: r.result,
      value: p?.type === 'u32' ? p.value : -1,
      cancel: r.cancel?.outcome,
    });
  }
  g.disconnect(c.clientId);
  return out;
}
