// Guest programs for a close racing reads on another vCPU: the reader must only ever see its own file's
// bytes (never those of a file opened later under a recycled fd number), then VERR_INVALID_HANDLE.
import { ShflFn, Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { O } from '../../../src/vboxsf/mount.js';
import { sfFastCall } from '../../../src/vboxsf/host-req.js';
import * as sf from '../../../src/vboxsf/wrappers.js';

const SIZE = 64 * 1024;

/** Fill a file with 'A', publish (client, handle), read it until the handle dies. */
export function reader(
  g: GuestContext,
  args: { sab: SharedArrayBuffer },
): { reads: number; bad: number; end: number } {
  const fs = g.sf.mount('share');
  const fd = fs.open('/race-a', O.RDWR | O.CREAT | O.TRUNC);
  fs.pwrite(fd, new Uint8Array(SIZE).fill(0x41), 0);
  const handle = fs.handleOf(fd);
  const cell = new BigInt64Array(args.sab);
  Atomics.store(cell, 1, handle);
  Atomics.store(cell, 0, BigInt(fs.clientId) | (BigInt(fs.root) << 32n));
  Atomics.notify(new Int32Array(args.sab), 0);
  const buf = g.alloc(SIZE);
  let reads = 0;
  let bad = 0;
  let end: number = Status.VINF_SUCCESS;
  for (let i = 0; i < 20_000; i++) {
    const r = g.run(sf.vboxCallRead(g.lib, fs.clientId, fs.root, handle, 0n, { addr: buf, size: SIZE }));
    if (r.rc < 0) {
      end = r.rc;
      break;
    }
    reads++;
    const data = g.read(buf, r.count);
    if (r.count !== SIZE || data.some((b) => b !== 0x41)) bad++;
  }
  g.free(buf);
  return { reads, bad, end };
}

/** Wait for the reader's handle, close it (as its client, through a fast call), then recycle fds. */
export function closer(g: GuestContext, args: { sab: SharedArrayBuffer; opens: number }): number {
  const i32 = new Int32Array(args.sab);
  Atomics.wait(i32, 0, 0, 10_000);
  const cell = new BigInt64Array(args.sab);
  const who = Atomics.load(cell, 0);
  const client = Number(who & 0xffffffffn);
  const root = Number(who >> 32n);
  const handle = Atomics.load(cell, 1);
  // Let some reads get going first.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  const rc = g.run(
    sfFastCall(g.kernel, client, ShflFn.CLOSE, [
      { type: 'u32', value: root },
      { type: 'u64', value: handle },
    ]),
  ).rc;
  const fs = g.sf.mount('share');
  const fd = fs.open('/race-b', O.RDWR | O.CREAT | O.TRUNC);
  fs.pwrite(fd, new Uint8Array(SIZE).fill(0x42), 0);
  fs.close(fd);
  for (let i = 0; i < args.opens; i++) fs.close(fs.open('/race-b', O.RDONLY));
  return rc;
}
