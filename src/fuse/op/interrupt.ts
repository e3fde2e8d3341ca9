// FUSE_INTERRUPT: signal the vCPU serving the named request (inflight.ts), so its interruptible host call is
// cancelled and the request answered -EINTR; no reply then. A request in flight but not interruptible is
// left to finish (the protocol lets a server ignore an INTERRUPT). A request in flight nowhere (about to be
// picked up, or just answered) is looked for again a few times, then answered EAGAIN as the kernel's
// documentation asks: the kernel requeues the INTERRUPT if its request is still waiting.
import { fuse_interrupt_in } from '../../abi/index.js';
import { E, NO_REPLY, fail, type Handler } from '../ctx.js';

const ROUNDS = 10;

/** FUSE_INTERRUPT. */
export const interrupt: Handler = (c) => {
  if (c.req.bodyLen < fuse_interrupt_in.size) return NO_REPLY;
  const unique = c.mem.readU64(c.req.body, fuse_interrupt_in.off.unique);
  c.front.count('interrupts');
  for (let round = 0; ; round++) {
    const r = c.inflight.interrupt(unique, c.signal, () => c.front.count('interruptsSignalled'));
    if (r === 'signalled') return NO_REPLY;
    if (r === 'ignored') {
      c.front.count('interruptsIgnored');
      return NO_REPLY;
    }
    if (round === ROUNDS) break;
    c.pause(c.config.interruptRetryMs / ROUNDS);
  }
  c.front.count('interruptsRetried');
  return fail(E.EAGAIN);
};
