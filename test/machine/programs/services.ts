// Guest programs for the service tests.
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';

/** Call the user-defined tally service `n` times; return what it answered. */
export function tallyCalls(
  g: GuestContext,
  args: { n: number },
): { totals: number[]; perClient: number[]; workers: number[] } {
  const c = g.connect('tally');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${c.rc}`);
  const totals: number[] = [];
  const perClient: number[] = [];
  const workers: number[] = [];
  for (let i = 0; i < args.n; i++) {
    const r = g.call(c.clientId, 1, [
      { type: 'u32', value: 0 },
      { type: 'u32', value: 0 },
      { type: 'u32', value: 99 },
    ]);
    if (r.rc !== 0 || r.result !== 0) throw new Error(`call ${r.rc}/${r.result}`);
    const v = r.parms.map((p) => (p.type === 'u32' ? p.value : -1));
    totals.push(v[0]!);
    perClient.push(v[1]!);
    workers.push(v[2]!);
  }
  g.disconnect(c.clientId);
  return { totals, perClient, workers };
}

/** One delay call with a timeout and the interruptible flag. */
export function delayCall(
  g: GuestContext,
  args: { ms: number; timeoutMs: number; interruptible: boolean },
): { rc: number; result: number; outcome: string | undefined; tookMs: number } {
  const c = g.connect('delay');
  const t0 = g.now();
  const r = g.call(c.clientId, 1, [{ type: 'u32', value: args.ms }], {
    timeoutMs: args.timeoutMs,
    interruptible: args.interruptible,
  });
  const tookMs = g.now() - t0;
  g.disconnect(c.clientId);
  return { rc: r.rc, result: r.result, outcome: r.cancel?.outcome, tookMs };
}

/** Connect to a service that does not exist. */
export function connectMissing(g: GuestContext): { rc: number; clientId: number } {
  return g.connect('NoSuchService');
}

/** Call the crash service's function `fn` (timeout `timeoutMs`), then function 3 on a new client. */
export function crashCalls(
  g: GuestContext,
  a: { fn: number; timeoutMs: number },
): { rc: number; result: number; after: number } {
  const c = g.connect('crash');
  const r = g.call(c.clientId, a.fn, [], { timeoutMs: a.timeoutMs });
  g.disconnect(c.clientId);
  const d = g.connect('crash');
  const after = g.call(d.clientId, 3, []);
  g.disconnect(d.clientId);
  return { rc: r.rc, result: r.result, after: after.result };
}
