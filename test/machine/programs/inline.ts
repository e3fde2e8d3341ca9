// Guest programs for the inline-service tests: a pre-built request performed with the bare port write, to
// see what the request holds the moment the port write returns.
import { HgcmReqFlag, Status, VMMDevHGCMRequestHeader } from '../../../src/abi/index.js';
import { gpa } from '../../../src/runtime/address.js';
import type { GuestContext } from '../../../src/guest/context.js';

/** What the request held right after the port write. */
export interface PortWriteView {
  readonly rc: number;
  readonly doneAtReturn: boolean;
  readonly result: number;
}

/** Connect to `service`, perform a prepared call to `fn` `n` times with the bare port write. */
export function portWriteOnly(
  g: GuestContext,
  a: { service: string; fn: number; n: number },
): PortWriteView[] {
  const c = g.connect(a.service);
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${a.service}: ${c.rc}`);
  const req = g.prepareCall(c.clientId, a.fn, [{ type: 'u32', value: 7 }]).addr;
  const out: PortWriteView[] = [];
  for (let i = 0; i < a.n; i++) {
    g.ram.store32(req, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
    const rc = g.port.perform(req);
    const flags = g.ram.load32(req, VMMDevHGCMRequestHeader.off.fu32Flags);
    out.push({
      rc,
      doneAtReturn: (flags & HgcmReqFlag.DONE) !== 0,
      result: g.ram.readI32(req, VMMDevHGCMRequestHeader.off.result),
    });
    // A call still running in the pool must be done before its request is reused.
    if ((flags & HgcmReqFlag.DONE) === 0) g.waitDone(req);
  }
  g.heap.free(gpa(req));
  g.disconnect(c.clientId);
  return out;
}

/** Echo `size` bytes through `service` with g.call; true if they came back. */
export function echoThrough(
  g: GuestContext,
  a: { service: string; size: number },
): { rc: number; same: boolean } {
  const c = g.connect(a.service);
  const src = g.alloc(a.size);
  const dst = g.alloc(a.size);
  const data = Uint8Array.from({ length: a.size }, (_, i) => (i * 13 + 5) & 0xff);
  g.write(src, data);
  const r = g.call(c.clientId, 1, [
    { type: 'in', addr: src, size: a.size },
    { type: 'out', addr: dst, size: a.size },
  ]);
  const same = Buffer.compare(Buffer.from(g.read(dst, a.size)), Buffer.from(data)) === 0;
  g.free(src);
  g.free(dst);
  g.disconnect(c.clientId);
  return { rc: r.rc < 0 ? r.rc : r.result, same };
}

/** One call to `fn` of `service` through g.call: rc, or the service's result. */
export function callOnce(g: GuestContext, a: { service: string; fn: number }): number {
  const c = g.connect(a.service);
  const r = g.call(c.clientId, a.fn, [{ type: 'u32', value: 1 }]);
  g.disconnect(c.clientId);
  return r.rc < 0 ? r.rc : r.result;
}
