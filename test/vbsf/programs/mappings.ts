// Guest programs for mapping tests: MAP_FOLDER with a raw name buffer passed the way old Windows additions
// passed it (a bidirectional LinAddr), and waits for mapping changes. Run inside a vCPU worker.
import { ShflFn } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/vcpu/guest-context.js';
import * as sf from '../../../src/vcpu/shared-folders.js';

/**
 * A UTF-16 client (no SET_UTF8) maps with `name` as the raw SHFLSTRING buffer, passed `dir` ('inout' is
 * VMMDevHGCMParmType_LinAddr, as the old additions sent it). Returns the status, root and the buffer after.
 */
export function mapRaw(
  g: GuestContext,
  args: { name: number[]; dir: 'in' | 'inout' },
): { rc: number; result: number; root: number; after: number[] } {
  const c = g.run(sf.vboxConnect(g.lib));
  const addr = g.alloc(args.name.length);
  g.write(addr, Uint8Array.from(args.name));
  const r = g.run(
    g.lib.call(c.clientId, ShflFn.MAP_FOLDER, [
      { type: args.dir, addr, size: args.name.length },
      { type: 'u32', value: 0 },
      { type: 'u32', value: 0x5c },
      { type: 'u32', value: 0 },
    ]),
  );
  const after = [...g.read(addr, args.name.length)];
  g.free(addr);
  g.run(sf.vboxDisconnect(g.lib, c.clientId));
  const root = r.parms[1]?.type === 'u32' ? r.parms[1].value : -1;
  return { rc: r.rc, result: r.result, root, after };
}
