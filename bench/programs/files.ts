// Guest programs for the vbsf suite, run on a vCPU: Shared Folders reads and writes timed with tinybench.
// Data moves the way the 7.x additions' vboxsf moves it: one READ or WRITE per I/O with the buffer as a
// no-bounce page list over guest RAM (VbglR0SfHostReqReadPgLst / WritePgLst), so the host reads or writes
// guest memory in place and the figures compare with fs.readSync / writeSync from a view over the same
// kind of memory. The small-files row goes through the guest file API (open, pwrite, close).
import { ShflFn, Status } from '../../src/abi/index.js';
import type { GuestContext } from '../../src/guest/index.js';
import {
  O,
  type SfMount,
  sfFastCall,
  vboxCallReadPages,
  vboxCallWritePages,
} from '../../src/vboxsf/index.js';
import { measureSync, type Budget, type Summary } from '../measure.js';

/** What the data program is told. */
export interface DataArgs {
  readonly share: string;
  readonly op: 'write' | 'read';
  /** Bytes per call. */
  readonly size: number;
  /** The file cycles over this many bytes (written first, so reads hit data). */
  readonly fileBytes: number;
  readonly budget: Budget;
}

/** Open (creating) `name` on a mount, returning its fd. */
function openRw(m: SfMount, name: string): number {
  return m.open(name, O.RDWR | O.CREAT | O.TRUNC);
}

/** Time `op` of `size` bytes at rotating offsets of one file, with the buffer in guest RAM. */
export function data(g: GuestContext, a: DataArgs): Summary {
  const m = g.sf.mount(a.share, { io: 'nobounce' });
  const buf = g.alloc(a.size);
  try {
    g.ram.fill(buf, a.size, 0x5a);
    const fd = openRw(m, `data-${g.vcpu}.bin`);
    const handle = m.handleOf(fd);
    const k = g.kernel;
    const io = (op: 'write' | 'read', offset: number): void => {
      const r = g.run(
        op === 'write'
          ? vboxCallWritePages(k, m.clientId, m.root, handle, BigInt(offset), buf, a.size)
          : vboxCallReadPages(k, m.clientId, m.root, handle, BigInt(offset), buf, a.size),
      );
      if (r.rc !== Status.VINF_SUCCESS || r.count !== a.size)
        throw new Error(`SHFL ${op} of ${a.size} at ${offset}: rc ${r.rc}, ${r.count} bytes`);
    };
    // Fill the file first so every read finds its bytes (and writes overwrite, as the limit rows do).
    for (let off = 0; off < a.fileBytes; off += a.size) io('write', off);
    let pos = 0;
    const s = measureSync(() => {
      io(a.op, pos);
      pos = (pos + a.size) % a.fileBytes;
    }, a.budget);
    m.close(fd);
    return s;
  } finally {
    g.free(buf);
    m.unmount();
  }
}

/** Time create-or-truncate, a 4 KiB write and close, cycling over 256 names (the limit row's loop). */
export function files(g: GuestContext, a: { share: string; budget: Budget }): Summary {
  const m = g.sf.mount(a.share, { io: 'nobounce' });
  const small = new Uint8Array(4096).fill(0x33);
  try {
    let k = 0;
    return measureSync(() => {
      const fd = m.open(`f${g.vcpu}-${k++ & 255}`, O.WRONLY | O.CREAT | O.TRUNC);
      if (m.pwrite(fd, small, 0) !== small.length) throw new Error('short small-file write');
      m.close(fd);
    }, a.budget);
  } finally {
    m.unmount();
  }
}

/**
 * Time a call of a page-list WRITE's shape (root, handle, offset, count, `size` bytes as a no-bounce page
 * list, the request built per call as vboxsf builds it) to the inline no-op service: the whole call path
 * of a Shared Folders write without the service's work or the file system's. The floor under the data rows.
 */
export function shape(g: GuestContext, a: { size: number; budget: Budget }): Summary {
  const c = g.connect('noop-inline');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect noop-inline: rc ${c.rc}`);
  const buf = g.alloc(a.size);
  try {
    return measureSync(() => {
      const r = g.run(
        sfFastCall(g.kernel, c.clientId, ShflFn.WRITE, [
          { type: 'u32', value: 0 },
          { type: 'u64', value: 1n },
          { type: 'u64', value: 0n },
          { type: 'u32', value: a.size },
          { type: 'pages', addr: buf, size: a.size, dir: 'in' },
        ]),
      );
      if (r.rc !== Status.VINF_SUCCESS) throw new Error(`no-op call of a WRITE's shape: rc ${r.rc}`);
    }, a.budget);
  } finally {
    g.free(buf);
    g.disconnect(c.clientId);
  }
}
