// The service contract, checked at the host's boundary before a call's command leaves the pending list
// (cf. the C types upstream's compiler enforces on VBOXHGCMSVCPARM and pfnCallComplete's int32_t status):
// a status is a 32-bit integer, each output parameter still has the type the guest sent and values that
// fit its wire field. A service breaking it gets its call failed with VERR_INVALID_PARAMETER and nothing
// written to the guest; completion itself then never meets a value it cannot write.
// Runs on the thread that completes a call (a host worker, or the thread handling the port write).
import { SvcParmType } from '../abi/index.js';
import type { SvcParm } from '../hgcm/index.js';
import type { ParsedCall } from '../vmmdev/index.js';

const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;
const U64_MIN = -(2n ** 63n);
const U64_END = 2n ** 64n;

/** Why `rc` is not a status a service may return (an int32), or undefined if it is one. */
export function badStatus(rc: unknown): string | undefined {
  if (typeof rc === 'number' && Number.isInteger(rc) && rc >= -TWO_31 && rc < TWO_31) return undefined;
  return `returned ${describe(rc)} for a status`;
}

/**
 * Why the parameters a service leaves for `call` cannot be written back, or undefined if they can. A
 * 32-bit value is an integer that fits 32 bits (either signedness), a 64-bit one a bigint that fits 64; a
 * buffer keeps a Uint8Array and reports a size below 2^32; the array and each parameter's type are the
 * guest's.
 */
export function badOutputs(call: ParsedCall, parms: readonly SvcParm[]): string | undefined {
  if (!Array.isArray(parms) || parms.length !== call.parms.length)
    return `left ${Array.isArray(parms) ? parms.length : describe(parms)} parameters for ${call.parms.length}`;
  for (let i = 0; i < call.parms.length; i++) {
    const why = badParm(parms[i], call.parms[i]!.svcType);
    if (why !== undefined) return `parameter ${i}: ${why}`;
  }
  return undefined;
}

function badParm(h: SvcParm | undefined, type: number): string | undefined {
  if (typeof h !== 'object' || h === null) return `${describe(h)} for a parameter`;
  if (h.type !== type) return `type ${describe(h.type)} for type ${type}`;
  switch (h.type) {
    case SvcParmType.U32:
      return isInt(h.u32, -TWO_31, TWO_32) ? undefined : `u32 ${describe(h.u32)}`;
    case SvcParmType.U64:
      return typeof h.u64 === 'bigint' && h.u64 >= U64_MIN && h.u64 < U64_END
        ? undefined
        : `u64 ${describe(h.u64)}`;
    case SvcParmType.PTR:
      if (!(h.buf instanceof Uint8Array)) return `buffer ${describe(h.buf)}`;
      return isInt(h.size, 0, TWO_32) ? undefined : `buffer size ${describe(h.size)}`;
    default:
      return isInt(h.size, 0, TWO_32) ? undefined : `page list size ${describe(h.size)}`;
  }
}

function isInt(v: unknown, min: number, end: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v < end;
}

/** A value for a log line: its type, and the value itself when short. */
function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'string') return `string ${JSON.stringify(v.slice(0, 32))}`;
  return typeof v === 'object' ? `a ${v.constructor?.name ?? 'object'}` : typeof v;
}
