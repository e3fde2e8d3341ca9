// Guest program for the module-loading test: where the vCPU thread loaded this module from, and whether
// ts-boot.mjs registered tsx on that thread.
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';

/** This module's URL, the ts-boot mark, and one call to the tally service (a user module in the pool). */
export function where(g: GuestContext): { url: string; tsx: boolean; total: number } {
  const c = g.connect('tally');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${c.rc}`);
  const r = g.call(c.clientId, 1, [
    { type: 'u32', value: 0 },
    { type: 'u32', value: 0 },
    { type: 'u32', value: 0 },
  ]);
  g.disconnect(c.clientId);
  if (r.rc !== Status.VINF_SUCCESS || r.result !== Status.VINF_SUCCESS)
    throw new Error(`call ${r.rc}/${r.result}`);
  const total = r.parms[0]?.type === 'u32' ? r.parms[0].value : -1;
  // SAFETY: reading a symbol-keyed global; anything but `true` means ts-boot did not run on this thread.
  const tsx = (globalThis as Record<symbol, unknown>)[Symbol.for('hgcm-runtime.tsx')] === true;
  return { url: import.meta.url, tsx, total };
}
