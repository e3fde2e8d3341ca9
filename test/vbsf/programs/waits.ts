// Guest programs for WAIT_FOR_MAPPINGS_CHANGES: a blocked wait cancelled from another vCPU, and the
// 64-waiter limit with requests left outstanding on purpose.
import { ShflFn, VMMDevHGCMRequestHeader } from '../../../src/abi/index.js';
import { gpa } from '../../../src/runtime/address.js';
import type { GuestContext } from '../../../src/guest/context.js';
import {
  buildFastRequest,
  fastRequestValues,
  sfFastCall,
  type SfFastParm,
} from '../../../src/vboxsf/host-req.js';
import { requestDone } from '../../../src/vcpu/gr.js';
import * as sf from '../../../src/vboxsf/wrappers.js';

function mount(g: GuestContext, share: string): { client: number; root: number } {
  const c = g.run(sf.vboxConnect(g.lib));
  g.run(sf.vboxCallSetUtf8(g.lib, c.clientId));
  const name = Buffer.from(`\0\0\0\0${share}\0`);
  name.writeUInt16LE(share.length + 1, 0);
  name.writeUInt16LE(share.length, 2);
  const addr = g.alloc(name.length);
  g.write(addr, name);
  const m = g.run(sf.vboxCallMapFolder(g.lib, c.clientId, { addr, size: name.length }, 0x2f, true));
  g.free(addr);
  return { client: c.clientId, root: m.root };
}

/** Learn the current version (a stale one returns at once), publish the client id, then wait. */
export function waitBlocked(g: GuestContext, args: { share: string; sab: SharedArrayBuffer }): unknown {
  const { client } = mount(g, args.share);
  const first = g.run(sf.vboxCallWaitForMappingsChanges(g.lib, client, 0xdeadbeef));
  const cell = new Int32Array(args.sab);
  Atomics.store(cell, 0, client);
  Atomics.notify(cell, 0);
  const t0 = g.now();
  const second = g.run(sf.vboxCallWaitForMappingsChanges(g.lib, client, first.version));
  return { first, second, waitedMs: g.now() - t0 };
}

/** Wait for the other program's client id, then cancel its waits with a fast call (no session check). */
export function cancelFromOther(g: GuestContext, args: { sab: SharedArrayBuffer; delayMs: number }): unknown {
  const cell = new Int32Array(args.sab);
  // No deadline: however slow the machine, the other program publishes its client (the test's limit stops
  // a hang).
  while (Atomics.load(cell, 0) === 0) Atomics.wait(cell, 0, 0);
  const client = Atomics.load(cell, 0);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, args.delayMs);
  return g.run(sfFastCall(g.kernel, client, ShflFn.CANCEL_MAPPINGS_CHANGES_WAITS, [])).rc;
}

/**
 * Submit `n + 1` waits at once. The host pool may hand them to svcCall in any order, so which one finds
 * the 64 slots full is not fixed; but exactly one does, and it completes at once. Only after it has (so
 * all `n + 1` have reached the service) cancel the rest, and collect every result.
 */
export function manyWaits(g: GuestContext, args: { share: string; n: number }): unknown {
  const { client } = mount(g, args.share);
  const version = g.run(sf.vboxCallWaitForMappingsChanges(g.lib, client, 0xdeadbeef)).version;
  const parms: SfFastParm[] = [{ type: 'u32', value: version }];
  const reqs: number[] = [];
  const submitted: number[] = [];
  for (let i = 0; i <= args.n; i++) {
    const r = g.run(buildFastRequest(g.kernel, client, ShflFn.WAIT_FOR_MAPPINGS_CHANGES, parms));
    if (typeof r === 'number') throw new Error(`alloc ${r}`);
    reqs.push(r.addr);
    submitted.push(g.port.perform(r.addr));
  }
  // Until one is done, however long that takes (no deadline: the test's limit stops a hang).
  let firstDone = -1;
  while (firstDone < 0) {
    firstDone = reqs.findIndex((addr) => requestDone(g.kernel, gpa(addr)));
    if (firstDone < 0) g.waitDone(reqs[0]!, { timeoutMs: 2 });
  }
  const doneBeforeCancel = reqs.filter((addr) => requestDone(g.kernel, gpa(addr))).length;
  const cancel = g.run(sf.vboxCallCancelMappingsChangesWaits(g.lib, client));
  const results = reqs.map((addr) => {
    const w = g.waitDone(addr);
    const result = g.ram.readI32(gpa(addr), VMMDevHGCMRequestHeader.off.result);
    const value = fastRequestValues(g.kernel, addr, parms)[0];
    g.heap.free(gpa(addr));
    return { w, result, value };
  });
  const after = g.run(sf.vboxCallWaitForMappingsChanges(g.lib, client, version));
  return { version, submitted, doneBeforeCancel, cancel, results, after: after.rc };
}
