// Guest programs `hgcm trace` runs, one operation each, to show the path a call takes.
import { Status } from '../abi/index.js';
import type { GuestContext } from '../guest/index.js';
import { O } from '../vboxsf/index.js';

/** write(2) of `bytes` bytes to a file in share `share` (open and close around it). */
export function write(g: GuestContext, a: { share: string; bytes: number }): { written: number } {
  const fs = g.sf.mount(a.share);
  const fd = fs.open('/traced.bin', O.RDWR | O.CREAT | O.TRUNC);
  const written = fs.write(fd, new Uint8Array(a.bytes).fill(0x5a));
  fs.close(fd);
  fs.unmount();
  return { written };
}

/** read(2) of `bytes` bytes back from the file `write` made. */
export function read(g: GuestContext, a: { share: string; bytes: number }): { read: number } {
  const fs = g.sf.mount(a.share);
  const fd = fs.open('/traced.bin', O.RDONLY);
  const got = fs.read(fd, a.bytes);
  fs.close(fd);
  fs.unmount();
  return { read: got.length };
}

/** An echo call with `bytes`-byte buffers. */
export function echo(g: GuestContext, a: { bytes: number }): { rc: number; result: number } {
  const c = g.connect('echo');
  const src = g.alloc(a.bytes);
  const dst = g.alloc(a.bytes);
  const r = g.call(c.clientId, 1, [
    { type: 'in', addr: src, size: a.bytes },
    { type: 'out', addr: dst, size: a.bytes },
  ]);
  g.disconnect(c.clientId);
  return { rc: r.rc, result: r.result };
}

/** A delay call that outlives its timeout: wait, time out, cancel (Cancel2, or the legacy fallback on an old host). */
export function cancel(
  g: GuestContext,
  a: { delayMs: number; timeoutMs: number },
): { rc: number; outcome: string | undefined } {
  const c = g.connect('delay');
  const r = g.call(c.clientId, 1, [{ type: 'u32', value: a.delayMs }], { timeoutMs: a.timeoutMs });
  g.disconnect(c.clientId);
  if (r.rc !== Status.VERR_TIMEOUT) return { rc: r.rc, outcome: 'not timed out' };
  return { rc: r.rc, outcome: r.cancel?.outcome };
}
