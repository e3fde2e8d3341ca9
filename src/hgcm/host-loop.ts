// A host pool worker's service loop (cf. hgcmServiceThread in HGCM.cpp): take work from the dispatch
// ring, run the service's connect / disconnect / call / cancelled, and complete through the device's
// completion path. One such loop runs per pool worker (a long-lived piscina task) or per sim host actor.
import { RT_FAILURE, Status, statusName, type StatusCode } from '../abi/index.js';
import type { AtomicCell } from '../runtime/atomic-cell.js';
import { InvariantError } from '../runtime/errors.js';
import type { FaultTable } from '../runtime/faults.js';
import { point, waitFor, type Clock, type Proc } from '../runtime/proc.js';
import type { Tracer } from '../runtime/trace.js';
import type { StatsBlock } from '../runtime/stats.js';
import { ClientState, type ClientTable } from './clients.js';
import type { ServiceSpec } from './registry.js';
import { Work, type DispatchRing } from './ring.js';
import type { HgcmService, ServiceContext, SvcCall, SvcParm } from './service.js';

/** A command as the pool sees it. */
export interface CommandInfo {
  readonly phys: number;
  readonly id: number;
  readonly clientSlot: number;
  readonly clientId: number;
  readonly service: number;
  readonly fn: number;
  readonly requestor: number;
}

/** Outcome of a completion (see vmmdev/complete.ts). */
export type CompletionResult = 'written' | 'cancelled' | 'gone';

/** What the pool needs from the device side: command data and the completion path (injected by machine/). */
export interface CommandOps {
  info(slot: number): CommandInfo;
  /** The service parameters of a call command, and an opaque handle completion needs. */
  openCall(slot: number): { parms: SvcParm[]; handle: unknown };
  completeCall(
    slot: number,
    rc: StatusCode,
    parms: readonly SvcParm[],
    handle: unknown,
  ): Proc<CompletionResult>;
  completeConnect(slot: number, rc: StatusCode, clientId: number): Proc<CompletionResult>;
  completePlain(slot: number, rc: StatusCode): Proc<CompletionResult>;
  /** Open the window in which the host reads the call's input; false if the call was cancelled first. */
  beginCapture(slot: number): Proc<boolean>;
  endCapture(slot: number): void;
  /** Is the command part of a traced call? */
  traced(slot: number): boolean;
  /** Record that pool worker `workerId` now owns the command. */
  claim(slot: number, workerId: number): void;
  /** Lose a command: off the list, never written back (the host-drop fault). */
  drop(slot: number): Proc<boolean>;
  /** The connect request's own u32ClientID (written back when a connect fails). */
  guestClientId(slot: number): number;
  isCancelled(slot: number): boolean;
}

/** Dependencies of a host worker. */
export interface HostWorkerDeps {
  readonly workerId: number;
  readonly ring: DispatchRing;
  readonly clients: ClientTable;
  readonly specs: readonly ServiceSpec[];
  /** The loaded services, by spec index; undefined for one this worker never runs (see `inline`). */
  readonly services: readonly (HgcmService | undefined)[];
  /**
   * The device thread's runner of inline services (HgcmService.inline): a call must finish before
   * `serve` returns, so VINF_HGCM_ASYNC_EXECUTE is refused.
   */
  readonly inline?: boolean;
  readonly ops: CommandOps;
  readonly stats: StatsBlock;
  readonly clock: Clock;
  readonly faults: FaultTable;
  readonly tracer: Tracer;
  /** Run a step machine from a timer or callback context (threads: now, to the end; sim: a new actor). */
  spawn(proc: Proc<unknown>): void;
  setTimer(ms: number, fn: () => void): void;
  /** ServiceContext.watch on this executor. */
  watch(cell: AtomicCell, seen: number, fn: () => void): void;
  log(message: string): void;
}

/** A host worker: contexts for every service, and the loop. */
export class HostWorker {
  private readonly d: HostWorkerDeps;
  private readonly contexts: ServiceContext[];
  private stopped = false;

  constructor(d: HostWorkerDeps) {
    this.d = d;
    this.contexts = d.specs.map((spec) => makeContext(d, spec));
    for (const [i, svc] of d.services.entries()) svc?.setup?.(this.contexts[i]!);
  }

  /** The worker's loop: returns after a STOP item. */
  *run(): Proc<void> {
    const { ring } = this.d;
    while (!this.stopped) {
      const item = ring.pop();
      if (item === undefined) {
        yield waitFor(ring.bell, () => ring.length > 0, { hint: 'idle' });
        continue;
      }
      yield* this.serve(item.kind, item.arg, item.arg2);
    }
  }

  /** Do one work item (from the ring, or handed over directly by the device for an inline service). */
  *serve(kind: number, arg: number, arg2: number): Proc<void> {
    yield point('host.pick', arg);
    const command = kind === Work.CONNECT || kind === Work.DISCONNECT || kind === Work.CALL;
    if (command) {
      this.d.ops.claim(arg, this.d.workerId);
      this.d.tracer.active = this.d.ops.traced(arg);
      if (this.d.tracer.active) {
        const info = this.d.ops.info(arg);
        this.d.tracer.begin('hgcmServiceThread', info.phys, info.id);
      }
    }
    switch (kind) {
      case Work.CONNECT:
        yield* this.connect(arg);
        break;
      case Work.DISCONNECT:
        yield* this.disconnect(arg);
        break;
      case Work.CALL:
        yield* this.call(arg);
        break;
      case Work.CANCELLED:
        this.cancelled(arg, arg2);
        break;
      case Work.STOP:
        this.stopped = true;
        break;
      default:
        this.d.log(`host: unknown work item ${kind}`);
    }
    if (command) {
      this.d.tracer.end('hgcmServiceThread', kind);
      this.d.tracer.active = false;
    }
  }

  private service(index: number): HgcmService {
    const svc = this.d.services[index];
    if (svc === undefined) throw new InvariantError(`host worker ${this.d.workerId} has no service ${index}`);
    return svc;
  }

  /** Run a service callback; a throw is a service bug: logged, counted, turned into a status. */
  private guard<T>(what: string, spec: ServiceSpec, fn: () => T, onThrow: T): T {
    try {
      return fn();
    } catch (e) {
      this.d.stats.add('host.serviceErrors');
      this.d.log(
        `host: ${spec.name}.${what} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      return onThrow;
    }
  }

  private *connect(slot: number): Proc<void> {
    const { ops, clients } = this.d;
    const info = ops.info(slot);
    const spec = this.d.specs[info.service]!;
    const svc = this.service(info.service);
    this.d.stats.add('host.connects');
    const client = { clientId: info.clientId, requestor: info.requestor };
    const rc = svc.connect
      ? this.guard(
          'connect',
          spec,
          () => svc.connect!(this.contexts[info.service]!, client),
          Status.VERR_INTERNAL_ERROR,
        )
      : Status.VINF_SUCCESS;
    if (RT_FAILURE(rc)) {
      clients.free(info.clientSlot);
      yield* ops.completeConnect(slot, rc, ops.guestClientId(slot));
      return;
    }
    // makeAccessibleToGuest: only now may guest calls name this client.
    clients.setState(info.clientSlot, ClientState.CONNECTED);
    yield* ops.completeConnect(slot, rc, info.clientId);
  }

  private *disconnect(slot: number): Proc<void> {
    const { ops, clients } = this.d;
    const info = ops.info(slot);
    const spec = this.d.specs[info.service]!;
    const svc = this.service(info.service);
    this.d.stats.add('host.disconnects');
    const client = { clientId: info.clientId, requestor: info.requestor };
    if (svc.disconnect)
      this.guard('disconnect', spec, () => svc.disconnect!(this.contexts[info.service]!, client), undefined);
    clients.free(info.clientSlot);
    yield* ops.completePlain(slot, Status.VINF_SUCCESS);
  }

  private *call(slot: number): Proc<void> {
    const { ops } = this.d;
    const info = ops.info(slot);
    const spec = this.d.specs[info.service]!;
    const svc = this.service(info.service);
    this.d.stats.add('host.calls');
    const clientNow = this.d.clients.at(info.clientSlot);
    if (clientNow.id !== info.clientId || clientNow.state !== ClientState.CONNECTED) {
      // hgcmServiceThread: a call queued for a client whose handle was deleted fails with
      // VERR_HGCM_INVALID_CLIENT_ID, and such calls are never completed; the guest's cancel finds it.
      this.d.log(`host: call ${info.id} for disconnected client ${info.clientId} dropped`);
      return;
    }
    if (this.d.faults.on('host-drop')) {
      // HOST FAULT: the host loses the call (reset, completion-copy allocation failure): no write, no DONE.
      this.d.stats.add('host.dropped');
      yield* ops.drop(slot);
      return;
    }
    // The capture window: a call the guest cancelled before the host got to it is never started (and its
    // input never read); otherwise its input is copied out of guest memory before any cancel can succeed.
    yield point('host.isCancelled', info.phys, info.id);
    // MUTATION start-cancelled: the cancelled call runs, on whatever its buffers hold by now.
    if (!(yield* ops.beginCapture(slot)) && !this.d.faults.on('start-cancelled')) {
      yield* ops.completeCall(slot, Status.VERR_CANCELLED, [], undefined);
      return;
    }
    const { parms, handle } = ops.openCall(slot);
    ops.endCapture(slot);
    let completions = 0;
    const svcCall: SvcCall = {
      clientId: info.clientId,
      fn: info.fn,
      parms,
      requestor: info.requestor,
      isCancelled: () => ops.isCancelled(slot),
      complete: (rc) => {
        // MUTATION double-complete: a second completion goes through too.
        if (completions++ > 0 && !this.d.faults.on('double-complete')) {
          this.d.log(`host: ${spec.name} completed call ${info.id} twice (${statusName(rc)}); ignored`);
          return;
        }
        this.d.spawn(ops.completeCall(slot, rc, parms, handle));
      },
    };
    yield point('host.sideEffect', info.phys, info.id);
    this.d.tracer.begin('svcCall', info.fn, info.service);
    const rc = this.guard(
      'call',
      spec,
      () => svc.call(this.contexts[info.service]!, svcCall),
      Status.VERR_INTERNAL_ERROR,
    );
    this.d.tracer.end('svcCall', info.fn, rc);
    if (rc === Status.VINF_HGCM_ASYNC_EXECUTE) {
      if (this.d.inline !== true || completions > 0) return;
      // An inline call cannot finish later: nothing runs on the device thread between requests.
      this.d.log(`host: inline service ${spec.name} returned VINF_HGCM_ASYNC_EXECUTE for call ${info.id}`);
      completions++;
      yield* ops.completeCall(slot, Status.VERR_NOT_SUPPORTED, parms, handle);
      return;
    }
    if (completions++ > 0) {
      this.d.log(`host: ${spec.name} returned ${statusName(rc)} for call ${info.id} it had completed`);
      return;
    }
    yield* ops.completeCall(slot, rc, parms, handle);
  }

  private cancelled(clientSlot: number, clientId: number): void {
    const c = this.d.clients.at(clientSlot);
    if (c.id !== clientId || c.state !== ClientState.CONNECTED) return;
    const svc = this.service(c.service);
    this.d.stats.add('host.cancelNotices');
    if (svc.cancelled) {
      this.guard(
        'cancelled',
        this.d.specs[c.service]!,
        () => svc.cancelled!(this.contexts[c.service]!, { clientId, requestor: c.requestor }),
        undefined,
      );
    }
  }
}

function makeContext(d: HostWorkerDeps, spec: ServiceSpec): ServiceContext {
  const bytes = spec.clientStateBytes;
  const states = spec.clientState ? new Uint8Array(spec.clientState) : undefined;
  return {
    name: spec.name,
    config: spec.config,
    shared: spec.shared,
    clientState(clientId: number): Uint8Array {
      if (states === undefined) return new Uint8Array(0);
      const slot = clientId % d.clients.capacity;
      return states.subarray(slot * bytes, (slot + 1) * bytes);
    },
    clock: d.clock,
    setTimer: (ms, fn) => d.setTimer(ms, fn),
    watch: (cell, seen, fn) => d.watch(cell, seen, fn),
    log: (m) => d.log(`${spec.name}: ${m}`),
    workerId: d.workerId,
    trace: d.tracer,
  };
}
