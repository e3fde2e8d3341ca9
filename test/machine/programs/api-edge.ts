// Guest programs for the library's edge (test/machine/api-edge.test.ts); they run inside vCPU workers.
import { O } from '../../../src/vboxsf/mount.js';
import type { GuestContext } from '../../../src/guest/context.js';

/** Open a file that is not there: the guest file API throws GuestFsError (ENOENT), uncaught here. */
export function openMissing(g: GuestContext, args: { share: string }): never {
  g.sf.mount(args.share).open('/not-there', O.RDONLY);
  throw new Error('open of a missing file succeeded');
}

/** Echo a number back, doubled: proof the module ran. */
export function double(_g: GuestContext, args: { n: number }): number {
  return args.n * 2;
}
