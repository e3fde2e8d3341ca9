// Guest programs for the hgcm suite, run on a vCPU: time one kind of HGCM call with tinybench (latency
// rows), or make calls until a deadline after a start barrier shared with the other vCPUs (calls/s rows).
import { Status } from '../../src/abi/index.js';
import { gpa } from '../../src/runtime/index.js';
import type { GuestContext } from '../../src/guest/index.js';
import { measureSync, timedLoop, type Budget, type Summary, type ThroughputReport } from '../measure.js';

/** Which call a program makes. */
export interface CallSpec {
  /** 'call': VBGL_IOCTL_HGCM_CALL through the session (g.call); 'fast': a pre-built request (g.fastCall). */
  readonly mode: 'call' | 'fast';
  readonly service: string;
  readonly fn: number;
  /** Bytes of an in buffer and an out buffer (0: no parameters). */
  readonly size: number;
}

/** A prepared caller: make one call; check the last one. */
interface Caller {
  call(): void;
  check(): void;
  close(): void;
}

function caller(g: GuestContext, spec: CallSpec): Caller {
  const c = g.connect(spec.service);
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${spec.service}: rc ${c.rc}`);
  const size = spec.size;
  const inBuf = size > 0 ? g.alloc(size) : 0;
  const outBuf = size > 0 ? g.alloc(size) : 0;
  if (size > 0)
    g.write(
      inBuf,
      new Uint8Array(size).map((_, i) => i * 7),
    );
  const parms =
    size > 0
      ? ([
          { type: 'in', addr: inBuf, size },
          { type: 'out', addr: outBuf, size },
        ] as const)
      : [];
  let call: () => number;
  let prepared = 0;
  if (spec.mode === 'fast') {
    prepared = g.prepareCall(c.clientId, spec.fn, parms).addr;
    call = () => g.fastCall(prepared);
  } else {
    call = () => {
      const r = g.call(c.clientId, spec.fn, parms);
      return r.rc < 0 ? r.rc : r.result;
    };
  }
  let last: number = Status.VINF_SUCCESS;
  return {
    call() {
      last = call();
    },
    check() {
      if (last !== Status.VINF_SUCCESS) throw new Error(`${spec.service} call failed: ${last}`);
      if (
        size > 0 &&
        Buffer.compare(Buffer.from(g.read(inBuf, size)), Buffer.from(g.read(outBuf, size))) !== 0
      )
        throw new Error(`${spec.service}: the out buffer does not match the in buffer`);
    },
    close() {
      if (prepared !== 0) g.heap.free(gpa(prepared));
      if (size > 0) {
        g.free(inBuf);
        g.free(outBuf);
      }
      g.disconnect(c.clientId);
    },
  };
}

/** Latency of one kind of call, timed call by call with tinybench. */
export function latency(g: GuestContext, a: { spec: CallSpec; budget: Budget }): Summary {
  const c = caller(g, a.spec);
  try {
    const s = measureSync(() => c.call(), a.budget);
    c.check();
    return s;
  } finally {
    c.close();
  }
}

/**
 * Warm up, meet the other vCPUs at the barrier (word 0 counts arrivals), then make calls for `ms`,
 * timing each one.
 */
export function throughput(
  g: GuestContext,
  a: { spec: CallSpec; warmupMs: number; ms: number; barrier: SharedArrayBuffer; parties: number },
): ThroughputReport {
  const c = caller(g, a.spec);
  try {
    const r = timedLoop(() => c.call(), a);
    c.check();
    return r;
  } finally {
    c.close();
  }
}
