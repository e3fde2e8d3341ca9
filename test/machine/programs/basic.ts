// Guest programs used by the end-to-end tests; they run inside vCPU workers.
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';

/** Connect to echo, echo one buffer, disconnect. */
export function echoOnce(
  g: GuestContext,
  args: { size: number },
): { rc: number; result: number; same: boolean; clientId: number } {
  const c = g.connect('echo');
  if (c.rc !== Status.VINF_SUCCESS) return { rc: c.rc, result: 0, same: false, clientId: 0 };
  const inBuf = g.alloc(args.size);
  const outBuf = g.alloc(args.size);
  const data = new Uint8Array(args.size).map((_, i) => (i * 7 + 3) & 0xff);
  g.write(inBuf, data);
  const r = g.call(c.clientId, 1, [
    { type: 'in', addr: inBuf, size: args.size },
    { type: 'out', addr: outBuf, size: args.size },
  ]);
  const back = g.read(outBuf, args.size);
  g.free(inBuf);
  g.free(outBuf);
  g.disconnect(c.clientId);
  return {
    rc: r.rc,
    result: r.result,
    same: Buffer.compare(Buffer.from(back), Buffer.from(data)) === 0,
    clientId: c.clientId,
  };
}
