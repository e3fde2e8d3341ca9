// The shape of a SHFL function handler (one per file in fn/) and the typed view of its parameters after
// dispatch checked their count and types against the SHFL table; models the per-case blocks of svcCall.
// Runs on a host worker thread.
import { SHFL_HANDLE_NIL, SHFL_HANDLE_ROOT, Status, type StatusCode } from '../abi/index.js';
import type {
  SvcCall,
  SvcParm,
  SvcParmPages,
  SvcParmPtr,
  SvcParmU32,
  SvcParmU64,
} from '../hgcm/service-api.js';
import { InvariantError } from '../runtime/index.js';
import type { VbsfEnv } from './env.js';

/** Parameters whose types dispatch already checked. A wrong type here is our bug, not the guest's. */
export class Parms {
  readonly list: readonly SvcParm[];

  constructor(list: readonly SvcParm[]) {
    this.list = list;
  }
  private at(i: number): SvcParm {
    const p = this.list[i];
    if (p === undefined) throw new InvariantError(`SHFL parameter ${i} missing after dispatch checks`);
    return p;
  }
  u32(i: number): SvcParmU32 {
    const p = this.at(i);
    if (p.type !== 1) throw new InvariantError(`SHFL parameter ${i} is not 32-bit`);
    return p;
  }
  u64(i: number): SvcParmU64 {
    const p = this.at(i);
    if (p.type !== 2) throw new InvariantError(`SHFL parameter ${i} is not 64-bit`);
    return p;
  }
  ptr(i: number): SvcParmPtr {
    const p = this.at(i);
    if (p.type !== 3) throw new InvariantError(`SHFL parameter ${i} is not a buffer`);
    return p;
  }
  /** A buffer that may be a page list (READ/WRITE). */
  buffer(i: number): SvcParmPtr | SvcParmPages {
    const p = this.at(i);
    if (p.type !== 3 && p.type !== 4) throw new InvariantError(`SHFL parameter ${i} is not a buffer`);
    return p;
  }
}

/**
 * One SHFL function: `decode` checks parameter values (returning upstream's status for a bad one) and
 * gives typed arguments; `handle` does the work, writes outputs into the parameters and returns the
 * call's status. Arguments are objects, so a status (a number) is never mistaken for them.
 */
export interface ShflHandler<A extends object> {
  decode(p: Parms, env: VbsfEnv): A | StatusCode;
  handle(args: A, env: VbsfEnv, call: SvcCall): StatusCode;
}

/** Identity helper that types a handler. */
export function defineFn<A extends object>(h: ShflHandler<A>): ShflHandler<A> {
  return h;
}

/** The dispatch-level handle checks: 0 (SHFL_HANDLE_ROOT) is VERR_INVALID_PARAMETER, NIL VERR_INVALID_HANDLE. */
export function checkHandleValue(h: bigint): StatusCode {
  if (h === SHFL_HANDLE_ROOT) return Status.VERR_INVALID_PARAMETER;
  if (h === SHFL_HANDLE_NIL) return Status.VERR_INVALID_HANDLE;
  return Status.VINF_SUCCESS;
}

/** The first two parameters of CLOSE, FLUSH and LOCK: a root and a handle that passes the dispatch-level checks. */
export function decodeRootHandle(p: Parms): { root: number; handle: bigint } | StatusCode {
  const handle = p.u64(1).u64;
  const rc = checkHandleValue(handle);
  return rc !== Status.VINF_SUCCESS ? rc : { root: p.u32(0).u32, handle };
}

/** READ and WRITE parameters: root, handle, offset, count (in/out), buffer or pages. */
export interface IoArgs {
  readonly root: number;
  readonly handle: bigint;
  readonly offset: SvcParmU64;
  readonly count: SvcParmU32;
  readonly buffer: SvcParmPtr | SvcParmPages;
}

/**
 * The checks svcCall makes for READ and WRITE: the handle values, then a count beyond the buffer, which
 * upstream answers with VERR_INVALID_HANDLE (sic) for a plain buffer and VERR_OUT_OF_RANGE for pages.
 */
export function decodeIo(p: Parms): IoArgs | StatusCode {
  const handle = p.u64(1).u64;
  const count = p.u32(3);
  const buffer = p.buffer(4);
  const rc = checkHandleValue(handle);
  if (rc !== Status.VINF_SUCCESS) return rc;
  if (count.u32 > buffer.size)
    return buffer.type === 3 ? Status.VERR_INVALID_HANDLE : Status.VERR_OUT_OF_RANGE;
  return { root: p.u32(0).u32, handle, offset: p.u64(2), count, buffer };
}
