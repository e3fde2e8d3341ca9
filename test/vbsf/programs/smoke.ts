// Guest program: a first walk through the guest file API on a real share.
import type { GuestContext } from '../../../src/guest/context.js';
import { O } from '../../../src/vboxsf/mount.js';

export function basics(g: GuestContext, args: { share: string }): unknown {
  const fs = g.sf.mount(args.share);
  const fd = fs.open('/a.txt', O.RDWR | O.CREAT);
  const n = fs.write(fd, new TextEncoder().encode('hello host'));
  const back = new TextDecoder().decode(fs.pread(fd, 100, 0));
  const st = fs.fstat(fd);
  fs.close(fd);
  fs.mkdir('/dir');
  const names = fs.readdir('/');
  return { n, back, size: st.size, names };
}

/** Read a whole (small) file of the share as text; word 0 of `opened` becomes 1 once it is open (if given). */
export function readText(
  g: GuestContext,
  args: { share: string; path: string; opened?: SharedArrayBuffer },
): string {
  const fs = g.sf.mount(args.share);
  const fd = fs.open(args.path, O.RDONLY);
  if (args.opened !== undefined) Atomics.store(new Int32Array(args.opened), 0, 1);
  const text = new TextDecoder().decode(fs.pread(fd, 4096, 0));
  fs.close(fd);
  return text;
}
