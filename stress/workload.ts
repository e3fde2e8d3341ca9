// A stress workload as data (clients, guest threads and their calls, signals, the machine config) and the
// guest step machine that plays one thread of it. The same step machine runs under the sim (an actor per
// thread) and on real vCPU threads (stress/threads/program.ts), and records every call in a ledger.
import { RT_INDEFINITE_WAIT, ShflFn, Status, type StatusCode } from '../src/abi/index.js';
import type { MachineConfig } from '../src/machine/index.js';
import { type CounterName, gpa, type PointName, type Proc, wait, waitFor } from '../src/runtime/index.js';
import {
  type Allocation,
  type GuestKernel,
  type GuestLib,
  type HgcmCallResult,
  hgcmConnect,
  hgcmDisconnect,
  type HgcmParm,
} from '../src/vcpu/index.js';
import { ioParms, SHARED_FOLDERS_SERVICE } from '../src/vboxsf/index.js';
import { FAULTY_FN } from './services/faulty.js';
import { openSharedFile, type SfFile } from './share.js';

/** Wait forever (RT_INDEFINITE_WAIT). */
export const INFINITE = RT_INDEFINITE_WAIT;

/** Services a workload can use: the built-in test services, the harness's own and Shared Folders ('sf'). */
export type ServiceName = 'delay' | 'echo' | 'histfile' | 'sloppy' | 'faulty' | 'sf';

/** The HGCM name of a workload's service. */
export function serviceName(s: ServiceName): string {
  return s === 'sf' ? SHARED_FOLDERS_SERVICE : s;
}

/** What one call does. */
export type CallOp =
  /** delay SLEEP [ms]; with bytes > 0 delay SLEEP_ECHO [ms, in, out]. */
  | 'sleep'
  /** echo ECHO [in, out], answered inside the host worker. */
  | 'echo'
  /** echo VALUES [u32, u64]: both come back + 1. */
  | 'values'
  /**
   * A file write with a host side effect, by the client's service: histfile WRITE [ms, offset, in,
   * u32 written], or Shared Folders SHFL_FN_WRITE [root, handle, u64 offset, u32 count, in] on the run's
   * shared file (ms unused: the host writes when a worker picks the call up).
   */
  | 'write'
  /** A kernel call naming a client that does not exist: refused in the port write (SYNC). */
  | 'badClient'
  /** faulty [ms, u64]: the service breaks its contract as `how` says (services/faulty.ts). */
  | 'misbehave';

/** How the faulty service misbehaves in a call (services/faulty.ts). */
export type Misbehaviour = 'throw' | 'never' | 'twice' | 'badOutput' | 'badStatus' | 'throwLater';

/** One guest call. */
export interface CallPlan {
  readonly op: CallOp;
  /** Index into Workload.clients. */
  readonly client: number;
  /** Host latency in ms (sleep, write). */
  readonly ms: number;
  /** Buffer bytes (sleep with echo, echo, write). */
  readonly bytes: number;
  /** File offset (write). */
  readonly offset: number;
  readonly timeoutMs: number;
  readonly interruptible: boolean;
  /** misbehave: what the service does wrong. */
  readonly how?: Misbehaviour;
}

/** One thing a guest thread does. */
export type ThreadStep =
  | { readonly k: 'connect'; readonly client: number }
  | { readonly k: 'disconnect'; readonly client: number }
  | { readonly k: 'call'; readonly call: CallPlan }
  /** Sleep `ms` (virtual or wall). */
  | { readonly k: 'pause'; readonly ms: number };

/** A client: `owner` -1 is a kernel client connected before the threads start (shared, like vboxsf's). */
export interface ClientPlan {
  readonly service: ServiceName;
  readonly owner: number;
}

/** A guest thread, on its own vCPU; `user`: a user session (bounce buffers, always interruptible). */
export interface ThreadPlan {
  readonly vcpu: number;
  readonly user: boolean;
  readonly steps: readonly ThreadStep[];
}

/** Post a signal to a vCPU at a time (ms after the threads start). */
export interface SignalPlan {
  readonly at: number;
  readonly vcpu: number;
}

/** What a hold waits for. */
export type HoldUntil =
  /** An actor whose id starts with `actor` is stopped at `point`. */
  | { readonly k: 'pending'; readonly actor: string; readonly point: PointName }
  /** A counter reached `atLeast` (counted from the start of the threads). */
  | { readonly k: 'counter'; readonly name: CounterName; readonly atLeast: number };

/**
 * A directed prefix for the sim (cancel-race.md 5.2, "force a directed prefix, then explore around it"):
 * actors whose id starts with one of `actors` stop at `point` until the condition holds. Soft and one-shot:
 * let go if nothing else could run. Free threads ignore holds; controlled threads keep them (stress/controlled).
 */
export interface HoldPlan {
  readonly actors: readonly string[];
  readonly point: PointName;
  readonly until: HoldUntil;
}

/** A generated workload: everything one run needs besides the schedule. */
export interface Workload {
  readonly scenario: string;
  /** Serializable machine config (flavor, leak scope, old host, faults, workers, grace...). */
  readonly config: MachineConfig;
  readonly clients: readonly ClientPlan[];
  readonly threads: readonly ThreadPlan[];
  readonly signals: readonly SignalPlan[];
  readonly holds: readonly HoldPlan[];
  /** 'fail': the run is expected to violate an invariant (faithful leak scope, upstream defects). */
  readonly expect: 'pass' | 'fail';
  /** A Shared Folders share for the 'sf' clients (absent: none). */
  readonly share?: SharePlan;
  /** Hold the host to I18 (nothing held once the guests are gone); the issue-13 scenarios ask for it. */
  readonly reclaim?: boolean;
}

/**
 * The run's share: the executor makes a fresh host directory holding SF_FILE (share.ts) with `initial` bytes (the
 * payload of tag 0; call tags start at 1) and removes it afterwards. The prelude maps the share and opens
 * the file for every shared 'sf' client.
 */
export interface SharePlan {
  readonly initial: number;
}

/** The shared file's content before the run. */
export function initialContent(share: SharePlan): Uint8Array {
  return payload(0, share.initial);
}

/** How a call ended, from the guest's side. */
export type CallOutcome = 'sync' | 'completed' | 'cancelled' | 'leaked';

/** One call as the ledger keeps it. */
export interface CallRecord {
  readonly thread: number;
  readonly index: number;
  /** Unique per run: stamps the call's payload. */
  readonly tag: number;
  readonly plan: CallPlan;
  readonly clientId: number;
  readonly start: number;
  end: number;
  outcome: CallOutcome | undefined;
  rc: number;
  result: number;
  cancelRc: number | undefined;
  fallback: boolean;
  request: { readonly addr: number; readonly gen: number } | undefined;
  leakedBytes: number;
  /** For completed calls: did the outputs match (echo bytes, values + 1, bytes written)? null: nothing to check. */
  dataOk: boolean | null;
  /** A cancelled call whose output buffer changed (the host wrote a call it had promised not to). */
  writtenAfterCancel: boolean;
  /** write: bytes the host reported written. */
  written: number;
}

/** A connect or disconnect as the ledger keeps it. */
export interface ClientOpRecord {
  readonly thread: number;
  readonly k: 'connect' | 'disconnect';
  readonly client: number;
  readonly clientId: number;
  readonly rc: StatusCode;
  readonly start: number;
  readonly end: number;
}

/** Everything the threads of one run did, in the order they did it (a real-time order stamp per entry). */
export class Ledger {
  readonly calls: CallRecord[] = [];
  readonly ops: ClientOpRecord[] = [];
  /** The call each thread is in now (the sim's oracles read it between steps). */
  readonly current = new Map<number, CallRecord>();
  /** Client ids by ClientPlan index (0: not connected). */
  readonly clientIds: number[];
  /** The shared file as each shared 'sf' client opened it, by ClientPlan index. */
  readonly sfFiles: (SfFile | undefined)[] = [];
  /** A monotonic stamp: sim step counter or the guest's clock (ms). */
  readonly stamp: () => number;
  /**
   * The stamp of connects and disconnects, which the threads' D1 check holds against the trace log's
   * records: the log's clock (wall time), where a controlled machine's guest clock is virtual.
   */
  readonly logStamp: () => number;
  /**
   * The wait each call really asks the guest library for (default: the plan's). Tests only: a stand-in for
   * a library that reads the timeout wrong, so the outcome oracle, which judges by the plan, can be shown
   * to notice (stress/oracle/outcome.ts).
   */
  waitOptions: (c: CallPlan) => { timeoutMs: number; interruptible: boolean } = planWait;

  constructor(clients: number, stamp: () => number, logStamp: () => number = stamp) {
    this.clientIds = new Array<number>(clients).fill(0);
    this.stamp = stamp;
    this.logStamp = logStamp;
  }
}

/** The wait a call's plan asks for (Ledger.waitOptions' default; one function, not one per ledger). */
function planWait(c: CallPlan): { timeoutMs: number; interruptible: boolean } {
  return { timeoutMs: c.timeoutMs, interruptible: c.interruptible };
}

/** The byte at offset `i` of the payload of call `tag` (so every byte a host writes can be attributed). */
export function payloadByte(tag: number, i: number): number {
  return (Math.imul(tag, 131) + i * 7 + 13) & 0xff;
}

/** The first `n` bytes of call `tag`'s payload (a loop: every run builds a few of these). */
export function payload(tag: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = payloadByte(tag, i);
  return out;
}

const SERVICE_FN: Readonly<Record<CallOp, number>> = {
  sleep: 1,
  echo: 1,
  values: 2,
  write: 1,
  badClient: 1,
  misbehave: 1,
};

/** The faulty service's function for each misbehaviour. */
const MISBEHAVIOUR_FN: Readonly<Record<Misbehaviour, number>> = {
  throw: FAULTY_FN.THROW,
  never: FAULTY_FN.NEVER,
  twice: FAULTY_FN.TWICE,
  badOutput: FAULTY_FN.BAD_OUTPUT,
  badStatus: FAULTY_FN.BAD_STATUS,
  throwLater: FAULTY_FN.THROW_LATER,
};
/** A client id no host hands out (the client table's ids stay far below it). */
const BAD_CLIENT = 0x7ffffff0;

/** Connect the shared kernel clients (owner -1); run before the threads start. */
export function* connectShared(k: GuestKernel, w: Workload, ledger: Ledger): Proc<void> {
  for (const [i, c] of w.clients.entries()) {
    if (c.owner !== -1) continue;
    const r = yield* hgcmConnect(k, serviceName(c.service), k.driverRequestor);
    if (r.rc !== Status.VINF_SUCCESS) throw new Error(`stress: connecting ${c.service} failed: ${r.rc}`);
    ledger.clientIds[i] = r.clientId;
    if (c.service === 'sf') ledger.sfFiles[i] = yield* openSharedFile(k, r.clientId);
  }
}

/** Disconnect the shared clients still connected; run after the threads end. */
export function* disconnectShared(k: GuestKernel, w: Workload, ledger: Ledger): Proc<void> {
  for (const [i, c] of w.clients.entries()) {
    const id = ledger.clientIds[i]!;
    if (c.owner !== -1 || id === 0) continue;
    yield* hgcmDisconnect(k, id, k.driverRequestor);
    ledger.clientIds[i] = 0;
  }
}

/**
 * Play thread `t` of the workload through `lib` (the thread's session), then run `after` (if given) however
 * the thread ended. (The sim closes the session so: in here, not in a wrapper around it, since every
 * generator layer is one more resume at each of the thread's steps.)
 */
export function* runThread(
  lib: GuestLib,
  w: Workload,
  t: number,
  ledger: Ledger,
  after?: () => Proc<unknown>,
): Proc<void> {
  try {
    const plan = w.threads[t]!;
    const k = lib.k;
    let index = 0;
    for (const s of plan.steps) {
      if (s.k === 'pause') {
        const cell = k.bus.wake;
        yield* wait(waitFor(cell, () => false, { deadline: k.clock.now() + s.ms }));
      } else if (s.k === 'connect' || s.k === 'disconnect') {
        const start = ledger.logStamp();
        let rc: StatusCode;
        let id = ledger.clientIds[s.client]!;
        if (s.k === 'connect') {
          const r = yield* lib.connect(serviceName(w.clients[s.client]!.service));
          rc = r.rc;
          id = r.clientId;
          if (rc === Status.VINF_SUCCESS) ledger.clientIds[s.client] = id;
        } else {
          // A shared kernel client is disconnected the kernel's way; a session's through the ioctl.
          rc =
            w.clients[s.client]!.owner === -1
              ? yield* hgcmDisconnect(k, id, k.driverRequestor)
              : yield* lib.disconnect(id);
          if (rc === Status.VINF_SUCCESS) ledger.clientIds[s.client] = 0;
        }
        ledger.ops.push({
          thread: t,
          k: s.k,
          client: s.client,
          clientId: id,
          rc,
          start,
          end: ledger.logStamp(),
        });
        // Connect and disconnect are never interrupted; a signal that came meanwhile is delivered now.
        k.bus.consumeSignals();
      } else {
        // The call is made here, between its set-up and its bookkeeping, not in a step machine of its own:
        // one resume level fewer at each of its steps.
        const c = s.call;
        const call = startCall(lib, t, index++, c, ledger);
        const r: HgcmCallResult = isKernelCall(w, c)
          ? yield* lib.callKernel(call.rec.clientId, call.fn, call.parms, ledger.waitOptions(c))
          : yield* lib.call(call.rec.clientId, call.fn, call.parms, ledger.waitOptions(c));
        endCall(k, t, c, call, r, ledger);
      }
    }
  } finally {
    if (after !== undefined) yield* after();
  }
}

/** A call of a thread as its program sets it up: its record (in the ledger), function, parameters, buffers. */
interface StartedCall {
  readonly rec: CallRecord;
  readonly fn: number;
  readonly parms: HgcmParm[];
  /** Program-memory buffers of its input and output (and their length). */
  readonly src: Allocation | undefined;
  readonly dst: Allocation | undefined;
  readonly n: number;
}

/** Set up call `index` of thread `t`: its buffers and parameters, its record in the ledger. */
function startCall(lib: GuestLib, t: number, index: number, c: CallPlan, ledger: Ledger): StartedCall {
  const k = lib.k;
  const tag = t * 4096 + index + 1;
  const clientId = c.op === 'badClient' ? BAD_CLIENT : ledger.clientIds[c.client]!;
  const n = c.op === 'sleep' || c.op === 'echo' || c.op === 'write' ? c.bytes : 0;
  const src = n > 0 ? k.data.alloc(n) : undefined;
  const dst = n > 0 && c.op !== 'write' ? k.data.alloc(n) : undefined;
  if (n > 0 && (src === undefined || (c.op !== 'write' && dst === undefined)))
    throw new Error('stress: guest program memory exhausted');
  if (src !== undefined) k.mem.write(src.addr, payload(tag, n));
  if (dst !== undefined) k.mem.fill(dst.addr, n, 0);
  // A write on a Shared Folders client is SHFL_FN_WRITE on the file the prelude opened for it.
  const sfFile = c.op === 'write' ? ledger.sfFiles[c.client] : undefined;
  const parms: HgcmParm[] = [];
  if (sfFile !== undefined) {
    const buf = { addr: src?.addr ?? 0, size: n };
    parms.push(...ioParms(ShflFn.WRITE, sfFile.root, sfFile.handle, BigInt(c.offset), buf));
  } else {
    if (c.op === 'sleep') parms.push({ type: 'u32', value: c.ms });
    if (c.op === 'write') parms.push({ type: 'u32', value: c.ms }, { type: 'u32', value: c.offset });
    if (src !== undefined) parms.push({ type: 'in', addr: src.addr, size: n });
    if (dst !== undefined) parms.push({ type: 'out', addr: dst.addr, size: n });
    if (c.op === 'values')
      parms.push({ type: 'u32', value: tag }, { type: 'u64', value: BigInt(tag) << 20n });
    if (c.op === 'misbehave')
      parms.push({ type: 'u32', value: c.ms }, { type: 'u64', value: BigInt(tag) << 20n });
    if (c.op === 'write') parms.push({ type: 'u32', value: 0 });
  }
  // Both writes report the bytes written in parameter 3.
  const fn =
    sfFile !== undefined
      ? ShflFn.WRITE
      : c.op === 'misbehave'
        ? MISBEHAVIOUR_FN[c.how ?? 'throw']
        : c.op === 'sleep' && n > 0
          ? 2
          : SERVICE_FN[c.op];
  const rec: CallRecord = {
    thread: t,
    index,
    tag,
    plan: c,
    clientId,
    start: ledger.stamp(),
    end: 0,
    outcome: undefined,
    rc: 0,
    result: 0,
    cancelRc: undefined,
    fallback: false,
    request: undefined,
    leakedBytes: 0,
    dataOk: null,
    writtenAfterCancel: false,
    written: 0,
  };
  ledger.calls.push(rec);
  ledger.current.set(t, rec);
  return { rec, fn, parms, src, dst, n };
}

/** A call of thread `t` returned `r`: record how it ended, check its outputs, free its buffers. */
function endCall(
  k: GuestKernel,
  t: number,
  c: CallPlan,
  call: StartedCall,
  r: HgcmCallResult,
  ledger: Ledger,
): void {
  const { rec, src, dst, n } = call;
  k.bus.consumeSignals();
  rec.end = ledger.stamp();
  rec.rc = r.rc;
  rec.result = r.result;
  rec.request = r.request;
  rec.leakedBytes = r.leakedBytes;
  rec.cancelRc = r.cancel?.cancelRc;
  rec.fallback = r.cancel?.fallback ?? false;
  rec.outcome = r.sync ? 'sync' : (r.cancel?.outcome ?? 'completed');
  if (rec.outcome === 'completed') rec.dataOk = checkOutputs(k, c, rec.tag, r, dst?.addr);
  if (rec.outcome === 'cancelled' && dst !== undefined)
    rec.writtenAfterCancel = k.mem.read(dst.addr, n).some((b) => b !== 0);
  if (c.op === 'write' && r.parms[3]?.type === 'u32')
    rec.written = rec.outcome === 'completed' ? r.parms[3].value : 0;
  ledger.current.delete(t);
  // A leaked call's buffers may be quarantined (strict scope): free() then leaves them alone.
  if (src !== undefined) k.data.free(src.addr);
  if (dst !== undefined) k.data.free(dst.addr);
}

/** Session clients go through the ioctl; shared kernel clients (and bad ids) the way a kernel driver calls. */
function isKernelCall(w: Workload, c: CallPlan): boolean {
  return c.op === 'badClient' || w.clients[c.client]?.owner === -1;
}

/**
 * How a call's wait was declared, as the driver applies it: its timeout, and whether a signal may end it
 * (VBoxGuest: every wait of a user session is interruptible, whatever the caller asked).
 */
export function waitDeclared(
  w: Workload,
  c: Pick<CallRecord, 'thread' | 'plan'>,
): { timeoutMs: number; interruptible: boolean } {
  const user = !isKernelCall(w, c.plan) && w.threads[c.thread]?.user === true;
  return { timeoutMs: c.plan.timeoutMs >>> 0, interruptible: c.plan.interruptible || user };
}

/** Did a completed call bring back what the host produced for this very call? */
function checkOutputs(
  k: GuestKernel,
  c: CallPlan,
  tag: number,
  r: HgcmCallResult,
  dst: number | undefined,
): boolean | null {
  if (r.rc !== Status.VINF_SUCCESS || r.result !== Status.VINF_SUCCESS) return null;
  if (c.op === 'values') {
    const [a, b] = r.parms;
    return (
      a?.type === 'u32' && a.value === tag + 1 && b?.type === 'u64' && b.value === (BigInt(tag) << 20n) + 1n
    );
  }
  if (c.op === 'write') {
    const p = r.parms[3];
    return p?.type === 'u32' && p.value === c.bytes;
  }
  if (dst === undefined) return null;
  const out = k.mem.read(gpa(dst), c.bytes);
  for (let i = 0; i < out.length; i++) if (out[i] !== payloadByte(tag, i)) return false;
  return true;
}
