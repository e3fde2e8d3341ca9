// Guest programs for the service-placement tests: write a file on a share, read it back, close it; a
// page list the probe service fills in place or at completion.
import { HGCMFunctionParameter64, VMMDevHGCMCall } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { O } from '../../../src/vboxsf/index.js';

/** Create p.txt, write a line, read it back through a second fd, close both; the text read. */
export function roundTrip(g: GuestContext, a: { share: string }): string {
  const m = g.sf.mount(a.share);
  try {
    const text = 'hello from the EMT';
    const fd = m.open('p.txt', O.RDWR | O.CREAT | O.TRUNC);
    m.pwrite(fd, new TextEncoder().encode(text), 0);
    const fd2 = m.open('p.txt', O.RDONLY);
    const back = m.pread(fd2, 64, 0);
    m.close(fd2);
    m.close(fd);
    return new TextDecoder().decode(back);
  } finally {
    m.unmount();
  }
}

/** How probe function 3 filled a no-bounce page list of `size` bytes, and how many of its bytes are 0xa5. */
export function landing(
  g: GuestContext,
  a: { service: string; size: number; dir: 'in' | 'out' },
): { rc: number; how: number; filled: number } {
  const c = g.connect(a.service);
  const buf = g.alloc(a.size);
  try {
    g.ram.fill(buf, a.size, 0);
    const req = g.prepareCall(
      c.clientId,
      3,
      [
        { type: 'u32', value: 9 },
        { type: a.dir, addr: buf, size: a.size },
      ],
      { noBounce: true },
    );
    const rc = g.fastCall(req.addr);
    const how = g.ram.readU32(req.addr, VMMDevHGCMCall.size + HGCMFunctionParameter64.off.value32);
    g.heap.free(req.addr);
    const filled = g.read(buf, a.size).filter((x) => x === 0xa5).length;
    return { rc, how, filled };
  } finally {
    g.free(buf);
    g.disconnect(c.clientId);
  }
}
