// Test service "echo": copies every input buffer to the next output buffer and returns 32/64-bit values
// incremented, so every byte and value of a call can be checked end to end.
//
// Function 1 (ECHO): parms [in buffer, out buffer] or [inout buffer]: the out buffer receives the in
// bytes (as many as fit); a single in/out buffer is left as it came (the host copy goes back unchanged).
// Function 2 (VALUES): every 32-bit parm += 1, every 64-bit parm += 1.
// Function 3 (FILL): parms [u32 byte, out buffer]: the buffer is filled with the byte (a page list must
// include the host-to-guest direction, else VERR_INVALID_PARAMETER).
// The "inline" export is the same service run on the device thread ("echo-inline"; HgcmService.inline).
import { ParmDirection, Status } from '../../abi/index.js';
import { defineService, type SvcParm } from '../service-api.js';

/** Echo function numbers. */
export const EchoFn = { ECHO: 1, VALUES: 2, FILL: 3 } as const;

function bytesOf(p: SvcParm | undefined): Uint8Array | undefined {
  return p?.type === 3 ? p.buf : undefined;
}

const echo = defineService({
  call(_ctx, call) {
    switch (call.fn) {
      case EchoFn.ECHO: {
        if (call.parms.length === 1)
          return bytesOf(call.parms[0]) ? Status.VINF_SUCCESS : Status.VERR_INVALID_PARAMETER;
        const src = bytesOf(call.parms[0]);
        const dst = call.parms[1];
        if (src === undefined || dst?.type !== 3) return Status.VERR_INVALID_PARAMETER;
        const n = Math.min(src.length, dst.buf.length);
        dst.buf.set(src.subarray(0, n));
        dst.size = n;
        return Status.VINF_SUCCESS;
      }
      case EchoFn.VALUES:
        for (const p of call.parms) {
          if (p.type === 1) p.u32 = (p.u32 + 1) >>> 0;
          else if (p.type === 2) p.u64 = BigInt.asUintN(64, p.u64 + 1n);
        }
        return Status.VINF_SUCCESS;
      case EchoFn.FILL: {
        const v = call.parms[0];
        const dst = call.parms[1];
        if (v?.type !== 1) return Status.VERR_INVALID_PARAMETER;
        if (dst?.type === 3) dst.buf.fill(v.u32 & 0xff);
        // A page list the guest marked guest-to-host only may not be written (GuestPages.write throws).
        else if (dst?.type === 4 && (dst.dir & ParmDirection.FROM_HOST) !== 0)
          dst.pages.write(0, new Uint8Array(dst.size).fill(v.u32 & 0xff));
        else return Status.VERR_INVALID_PARAMETER;
        return Status.VINF_SUCCESS;
      }
      default:
        return Status.VERR_NOT_IMPLEMENTED;
    }
  },
});

export default echo;

/** The same service, its calls completed on the device thread before the port write returns. */
export const inline = defineService({ ...echo, inline: true });
