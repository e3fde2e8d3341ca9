// Guest program for the service-placement test: write a file on a share, read it back, close it.
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
