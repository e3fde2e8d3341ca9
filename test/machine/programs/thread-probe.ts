// Guest program for the spare host pools test: which pool thread serves the "probe" service, after
// calling its function `then` (2: leave a timer pending there; 3: end that thread; 0: nothing).
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';

export function probe(g: GuestContext, args: { then: number }): number {
  const c = g.connect('probe');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${c.rc}`);
  const r = g.call(c.clientId, 1, [{ type: 'u32', value: 0 }]);
  if (r.rc !== Status.VINF_SUCCESS || r.result !== Status.VINF_SUCCESS)
    throw new Error(`call ${r.rc}/${r.result}`);
  const thread = r.parms[0]?.type === 'u32' ? r.parms[0].value : -1;
  // A thread that ends fails its call (VERR_HGCM_INTERNAL): what matters is that it ended.
  if (args.then !== 0) g.call(c.clientId, args.then, []);
  g.disconnect(c.clientId);
  return thread;
}
