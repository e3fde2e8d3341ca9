// Guest program for the spare host pools test: which pool thread serves the "probe" service, after
// calling its function `then` (2: leave a timer pending there; 3: end that thread; 0: nothing), and
// which thread runs the vCPU.
import { threadId } from 'node:worker_threads';
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';

export function probe(g: GuestContext, args: { then: number }): number {
  return serviceThread(g, args.then);
}

/** The vCPU's thread and the probe service's. */
export function threads(g: GuestContext): { vcpu: number; pool: number } {
  return { vcpu: threadId, pool: serviceThread(g, 0) };
}

function serviceThread(g: GuestContext, then: number): number {
  const c = g.connect('probe');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${c.rc}`);
  const r = g.call(c.clientId, 1, [{ type: 'u32', value: 0 }]);
  if (r.rc !== Status.VINF_SUCCESS || r.result !== Status.VINF_SUCCESS)
    throw new Error(`call ${r.rc}/${r.result}`);
  const thread = r.parms[0]?.type === 'u32' ? r.parms[0].value : -1;
  // A thread that ends fails its call (VERR_HGCM_INTERNAL): what matters is that it ended.
  if (then !== 0) g.call(c.clientId, then, []);
  g.disconnect(c.clientId);
  return thread;
}

/** Never returns (until its thread is terminated). */
export function spin(): never {
  const word = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(word, 0, 0);
}
