// A guest program for the tracing tests: a Shared Folders write through the 7.x no-bounce path
// (VbglR0SfHostReqWritePgLst over VbglR0HGCMFastCall), not the ioctl path.
import type { GuestContext } from '../../../src/guest/context.js';
import { O } from '../../../src/vboxsf/mount.js';

/** Write `bytes` bytes to /fast.bin on `share` with page lists; returns the count written. */
export function fastWrite(g: GuestContext, a: { share: string; bytes: number }): number {
  const m = g.sf.mount(a.share, { io: 'nobounce' });
  try {
    const fd = m.open('/fast.bin', O.RDWR | O.CREAT);
    const n = m.pwrite(fd, new Uint8Array(a.bytes).fill(0x42), 0);
    m.close(fd);
    return n;
  } finally {
    m.unmount();
  }
}
