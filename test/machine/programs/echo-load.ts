// Guest programs for the echo load test: many calls with 1 KiB buffers passed as LinAddr (which the
// guest library turns into page lists) and as caller-built PageLists, every byte checked.
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';

/** What the load program reports. */
export interface EchoLoadReport {
  readonly calls: number;
  readonly bad: number;
  readonly firstBad: string | undefined;
  /** The first 64 bytes of a prepared request after a fast call completed (header to first parameter). */
  readonly requestBytes: number[];
  readonly clientId: number;
}

/** `calls` echo calls of `size` bytes; odd calls use caller-built page lists, even ones LinAddr. */
export function echoLoad(
  g: GuestContext,
  args: { calls: number; size: number; seed: number },
): EchoLoadReport {
  const c = g.connect('echo');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect: ${c.rc}`);
  // Buffers straddle a page boundary so page lists have two pages.
  const arena = g.alloc(4 * 4096);
  const page = Math.ceil(arena / 4096) * 4096;
  const inBuf = page + 4096 - 100;
  const outBuf = page + 2 * 4096 - 200;
  const data = new Uint8Array(args.size);
  let x = args.seed >>> 0 || 1;
  let bad = 0;
  let firstBad: string | undefined;
  let requestBytes: number[] = [];
  for (let i = 0; i < args.calls; i++) {
    for (let j = 0; j < data.length; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[j] = x & 0xff;
    }
    g.write(inBuf, data);
    g.write(outBuf, new Uint8Array(args.size));
    const parms =
      i % 2 === 0
        ? ([
            { type: 'in', addr: inBuf, size: args.size },
            { type: 'out', addr: outBuf, size: args.size },
          ] as const)
        : ([
            { type: 'pagelist', addr: inBuf, size: args.size, dir: 'in' },
            { type: 'pagelist', addr: outBuf, size: args.size, dir: 'out' },
          ] as const);
    const r = g.call(c.clientId, 1, parms);
    const back = g.read(outBuf, args.size);
    const same = r.rc === 0 && r.result === 0 && Buffer.compare(Buffer.from(back), Buffer.from(data)) === 0;
    if (!same) {
      bad++;
      firstBad ??= `call ${i}: rc=${r.rc} result=${r.result}`;
    }
    // Every 500th call also goes through a request this program owns, to read it back from guest RAM.
    if (i % 500 === 499) {
      const p = g.prepareCall(c.clientId, 1, [
        { type: 'in', addr: inBuf, size: args.size },
        { type: 'out', addr: outBuf, size: args.size },
      ]);
      g.write(outBuf, new Uint8Array(args.size));
      const result = g.fastCall(p.addr);
      requestBytes = Array.from(g.read(p.addr, 64));
      g.heap.free(p.addr);
      if (result !== 0 || Buffer.compare(Buffer.from(g.read(outBuf, args.size)), Buffer.from(data)) !== 0) {
        bad++;
        firstBad ??= `fast call after ${i}: result=${result}`;
      }
    }
  }
  g.free(arena);
  g.disconnect(c.clientId);
  return { calls: args.calls, bad, firstBad, requestBytes, clientId: c.clientId };
}
