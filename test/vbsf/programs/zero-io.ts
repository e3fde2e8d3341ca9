// Guest program: zero-length no-bounce READ and WRITE through the guest library's page-list calls
// (VbglR0SfHostReqReadPgLst / WritePgLst), on a real handle and on a forged one. Runs inside a vCPU worker.
import { SHFLCREATEPARMS, ShflCreate } from '../../../src/abi/index.js';
import { ByteView } from '../../../src/runtime/bytes.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { vboxCallReadPages, vboxCallWritePages } from '../../../src/vboxsf/host-req.js';
import * as sf from '../../../src/vboxsf/wrappers.js';
import { mount, str } from './mappings.js';

/** Open `path` in `share` read-write and do zero-length page-list I/O at offset 5, from a page boundary. */
export function zeroLength(g: GuestContext, args: { share: string; path: string }): unknown {
  const { client, root } = mount(g, args.share);
  const c = { clientId: client };
  const parms = g.alloc(SHFLCREATEPARMS.size);
  const cp = new Uint8Array(SHFLCREATEPARMS.size);
  new ByteView(cp).setU64(0, 0xffffffffffffffffn);
  new ByteView(cp).setU32(
    12,
    ShflCreate.ACT_OPEN_IF_EXISTS | ShflCreate.ACT_FAIL_IF_NEW | ShflCreate.ACCESS_READWRITE,
  );
  g.write(parms, cp);
  const rc = g.run(
    sf.vboxCallCreate(g.lib, c.clientId, root, str(g, args.path), { addr: parms, size: cp.length }),
  );
  const handle = new ByteView(g.read(parms, 8)).u64(0);
  // A page-aligned address: a page list of no bytes there names no page at all (in-page offset 0).
  const buf = (g.alloc(8192) + 4095) & ~4095;
  const read = g.run(vboxCallReadPages(g.kernel, c.clientId, root, handle, 5n, buf, 0));
  const write = g.run(vboxCallWritePages(g.kernel, c.clientId, root, handle, 5n, buf, 0));
  const forged = g.run(vboxCallReadPages(g.kernel, c.clientId, root, handle ^ 0x4000n, 5n, buf, 0));
  const forgedWrite = g.run(vboxCallWritePages(g.kernel, c.clientId, root, handle ^ 0x4000n, 5n, buf, 0));
  g.run(sf.vboxCallClose(g.lib, c.clientId, root, handle));
  g.run(sf.vboxDisconnect(g.lib, c.clientId));
  return {
    create: rc,
    read: { rc: read.rc, count: read.count },
    write: { rc: write.rc, count: write.count, offset: write.offset },
    forged: { rc: forged.rc, count: forged.count },
    forgedWrite: forgedWrite.rc,
  };
}
