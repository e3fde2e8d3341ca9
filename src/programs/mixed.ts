// A guest program for demos and benchmarks: a mix of echo calls (checked byte for byte) and delay calls,
// some with timeouts shorter than the delay so they take the cancel path.
import { Status } from '../abi/index.js';
import { Prng } from '../runtime/index.js';
import type { GuestContext } from '../guest/index.js';

/** What the mixed workload asks for. */
export interface MixedArgs {
  readonly calls: number;
  readonly bufferBytes: number;
  /** Every n-th call is a delay call (0: none). */
  readonly delayEvery: number;
  readonly delayMs: number;
  /** Timeout for delay calls (ms); shorter than delayMs makes them time out and cancel. */
  readonly delayTimeoutMs: number;
  readonly seed: number;
}

/** Per-outcome counts from one vCPU. */
export interface MixedReport {
  readonly vcpu: number;
  readonly echoes: number;
  readonly echoBytes: number;
  readonly mismatches: number;
  readonly delays: number;
  readonly timedOut: number;
  readonly failures: Record<string, number>;
  readonly ms: number;
}

/** The workload: connect to echo and delay, make `calls` calls, disconnect. */
export function main(g: GuestContext, a: MixedArgs): MixedReport {
  const t0 = g.now();
  const echo = g.connect('echo');
  const delay = g.connect('delay');
  if (echo.rc < 0 || delay.rc < 0) throw new Error(`connect failed: echo ${echo.rc}, delay ${delay.rc}`);
  const inBuf = g.alloc(a.bufferBytes);
  const outBuf = g.alloc(a.bufferBytes);
  const data = new Uint8Array(a.bufferBytes);
  const prng = new Prng(a.seed);
  const failures: Record<string, number> = {};
  let echoes = 0;
  let mismatches = 0;
  let delays = 0;
  let timedOut = 0;
  for (let i = 0; i < a.calls; i++) {
    if (a.delayEvery > 0 && i % a.delayEvery === a.delayEvery - 1) {
      const r = g.call(delay.clientId, 1, [{ type: 'u32', value: a.delayMs }], {
        timeoutMs: a.delayTimeoutMs,
      });
      delays++;
      if (r.rc === Status.VERR_TIMEOUT) timedOut++;
      else if (r.rc < 0) failures[String(r.rc)] = (failures[String(r.rc)] ?? 0) + 1;
      continue;
    }
    for (let j = 0; j < data.length; j++) data[j] = prng.next() >>> 24;
    g.write(inBuf, data);
    const r = g.call(echo.clientId, 1, [
      { type: 'in', addr: inBuf, size: a.bufferBytes },
      { type: 'out', addr: outBuf, size: a.bufferBytes },
    ]);
    if (r.rc < 0 || r.result < 0) {
      const key = String(r.rc < 0 ? r.rc : r.result);
      failures[key] = (failures[key] ?? 0) + 1;
      continue;
    }
    echoes++;
    if (Buffer.compare(Buffer.from(g.read(outBuf, a.bufferBytes)), Buffer.from(data)) !== 0) mismatches++;
  }
  g.free(inBuf);
  g.free(outBuf);
  g.disconnect(echo.clientId);
  g.disconnect(delay.clientId);
  return {
    vcpu: g.vcpu,
    echoes,
    echoBytes: echoes * a.bufferBytes,
    mismatches,
    delays,
    timedOut,
    failures,
    ms: g.now() - t0,
  };
}
