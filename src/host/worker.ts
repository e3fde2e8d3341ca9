// A host worker's service loop (cf. hgcmServiceThread in HGCM.cpp): take work from the dispatch ring, run
// the service's connect / disconnect / call / cancelled, and complete the command. One such loop runs per
// pool worker (a long-lived piscina task) or per sim host actor. Also the device's way here (its HostPort):
// a listed command goes onto the ring, or, for an inline service's call, to a worker without a loop on the
// thread handling the port write; and the failing of a dead pool worker's commands (main thread).
// Runs on a host worker thread, the HostPort on the thread handling a port write.
import { RequestType, RT_FAILURE, Status, VMMDevHGCMConnect, type StatusCode } from '../abi/index.js';
import {
  type ClientInfo,
  ClientState,
  type DispatchRing,
  type HgcmService,
  type ServiceContext,
  type ServiceSpec,
  Work,
  type WorkKind,
} from '../hgcm/index.js';
import {
  type AtomicCell,
  ByteView,
  type Clock,
  finished,
  InvariantError,
  point,
  type Proc,
  traced,
  waitFor,
} from '../runtime/index.js';
import {
  CmdField,
  type HgcmCommand,
  type HostPort,
  type ParsedCall,
  readCommand,
  readCommandHead,
} from '../vmmdev/index.js';
import { HostCall, type CallHost } from './call.js';
import { hgcmCompletedWorker, type HostEnv } from './complete.js';

/** What a host worker runs on. */
export interface HostWorkerDeps {
  readonly workerId: number;
  readonly env: HostEnv;
  readonly ring: DispatchRing;
  readonly specs: readonly ServiceSpec[];
  /** The loaded services, by spec index; undefined for one this worker never runs (see `inline`). */
  readonly services: readonly (HgcmService | undefined)[];
  /**
   * The port-writing thread's runner of inline services (HgcmService.inline): a call must finish before
   * `serve` returns, so VINF_HGCM_ASYNC_EXECUTE is refused.
   */
  readonly inline?: boolean;
  readonly clock: Clock;
  /** Run a step machine from a timer or callback context (threads: now, to the end; sim: a new actor). */
  spawn(proc: Proc<unknown>): void;
  setTimer(ms: number, fn: () => void): void;
  /** ServiceContext.watch on this executor. */
  watch(cell: AtomicCell, seen: number, fn: () => void): void;
  log(message: string): void;
}

/** A host worker: contexts for every service, and the loop. */
export class HostWorker {
  readonly d: HostWorkerDeps;
  private readonly contexts: ServiceContext[];
  /** What a command of each service needs here (undefined for a service this worker does not run). */
  private readonly hosts: (CallHost | undefined)[];
  private stopped = false;

  constructor(d: HostWorkerDeps) {
    this.d = d;
    this.contexts = d.specs.map((spec) => makeContext(d, spec));
    for (const [i, svc] of d.services.entries()) {
      try {
        svc?.setup?.(this.contexts[i]!);
      } catch (e) {
        // The worker cannot serve: its task fails with the service's own error (Machine.start rejects).
        d.log(`host: ${d.specs[i]!.name} setup threw ${thrown(e)}`);
        throw e;
      }
    }
    this.hosts = d.specs.map((spec, i) => {
      const service = d.services[i];
      if (service === undefined) return undefined;
      return {
        env: d.env,
        service,
        ctx: this.contexts[i]!,
        name: spec.name,
        inline: d.inline === true,
        spawn: (proc) => d.spawn(proc),
        log: (m) => d.log(m),
        guard: (what, fn, onThrow) => this.guard(what, spec, fn, onThrow),
        fault: (what, why) => this.fault(spec, what, why),
      } satisfies CallHost;
    });
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

  /**
   * Do one work item (from the ring, or handed over by the device for an inline service, then with the
   * call's parameters as the device parsed them).
   */
  *serve(kind: number, arg: number, arg2: number, call?: ParsedCall): Proc<void> {
    yield point('host.pick', arg);
    switch (kind) {
      case Work.CONNECT:
      case Work.DISCONNECT:
      case Work.CALL: {
        // The worker owns the command from here on, so a dead worker's commands can be failed.
        this.d.env.cmds.set(arg, CmdField.OWNER, this.d.workerId + 1);
        const { cmds, snaps } = this.d.env;
        const cmd =
          call === undefined ? readCommand(cmds, snaps, arg) : { ...readCommandHead(cmds, snaps, arg), call };
        yield* serveCommand(this, kind, cmd);
        break;
      }
      case Work.CANCELLED:
        this.cancelled(arg, arg2);
        break;
      case Work.STOP:
        this.stopped = true;
        break;
      default:
        this.d.log(`host: unknown work item ${kind}`);
    }
  }

  /**
   * For the device's runner: does the call in command `slot` run here, on the thread handling the port
   * write? Every call of an inline service, and, of a service placed on the EMT, those of the functions
   * it says finish inside the call.
   */
  runsHere(slot: number): boolean {
    const { cmds } = this.d.env;
    const index = cmds.get(slot, CmdField.SERVICE);
    const spec = this.d.specs[index];
    const svc = this.d.services[index];
    if (spec === undefined || svc === undefined || !spec.onDevice) return false;
    return spec.inline || svc.completesInCall?.(cmds.get(slot, CmdField.FUNCTION)) === true;
  }

  /** The service of spec `index`, its context here, and this worker's runtime: what a command needs. */
  callHost(index: number): CallHost {
    const h = this.hosts[index];
    if (h === undefined) throw new InvariantError(`host worker ${this.d.workerId} has no service ${index}`);
    return h;
  }

  /** Run a service callback; a throw is a service bug: reported (fault), turned into a status. */
  private guard<T>(what: string, spec: ServiceSpec, fn: () => T, onThrow: T): T {
    try {
      return fn();
    } catch (e) {
      this.fault(spec, what, `threw ${thrown(e)}`);
      return onThrow;
    }
  }

  /** A service error: counted, and one log line naming the service, the callback and the client. */
  private fault(spec: ServiceSpec, what: string, why: string): void {
    serviceFault(this.d, spec, what, why);
  }

  /** SVC_MSG_CONNECT: pfnConnect; the client becomes usable by the guest only if it succeeds. */
  *connect(cmd: HgcmCommand): Proc<void> {
    const { env } = this.d;
    const h = this.callHost(cmd.service);
    env.stats.add('host.connects');
    const client = { clientId: cmd.clientId, requestor: env.clients.at(cmd.clientSlot).requestor };
    const { service } = h;
    const rc = service.connect
      ? h.guard(
          `connect client ${cmd.clientId}`,
          () => service.connect!(h.ctx, client),
          Status.VERR_INTERNAL_ERROR,
        )
      : Status.VINF_SUCCESS;
    if (RT_FAILURE(rc)) {
      env.clients.free(cmd.clientSlot);
      // A refused connect writes back the guest's own u32ClientID.
      const guestClientId = new ByteView(cmd.snapshot).u32(VMMDevHGCMConnect.off.u32ClientID);
      yield* hgcmCompletedWorker(env, cmd, rc, { kind: 'connect', clientId: guestClientId });
      return;
    }
    // makeAccessibleToGuest: only now may guest calls name this client.
    env.clients.setState(cmd.clientSlot, ClientState.CONNECTED);
    yield* hgcmCompletedWorker(env, cmd, rc, { kind: 'connect', clientId: cmd.clientId });
  }

  /** SVC_MSG_DISCONNECT: pfnDisconnect, then the client's slot is free. */
  *disconnect(cmd: HgcmCommand): Proc<void> {
    const { env } = this.d;
    const h = this.callHost(cmd.service);
    env.stats.add('host.disconnects');
    // ORDER: the handle is deleted (DISCONNECTING) before this command was queued; a worker that checked
    // the client before that may still be on its way to svcCall: pfnDisconnect comes after it, as on
    // upstream's one service thread.
    const starts = env.clients.startsCell(cmd.clientSlot);
    if (starts.load() > 0) env.stats.add('host.disconnectWaits');
    yield waitFor(starts, () => starts.load() <= 0, { hint: 'short' });
    const client = { clientId: cmd.clientId, requestor: env.clients.at(cmd.clientSlot).requestor };
    const { service } = h;
    if (service.disconnect)
      h.guard(`disconnect client ${cmd.clientId}`, () => service.disconnect!(h.ctx, client), undefined);
    // Before the slot is free: the calls' pending counts still belong to this client.
    yield* endClientCalls(env, cmd.clientSlot, cmd.clientId);
    env.clients.free(cmd.clientSlot);
    yield* hgcmCompletedWorker(env, cmd, Status.VINF_SUCCESS, { kind: 'none' });
  }

  /** SVC_MSG_GUESTCALL for a client that is still there (HostCall from here on). */
  *call(cmd: HgcmCommand): Proc<void> {
    const { env } = this.d;
    env.stats.add('host.calls');
    // ORDER: counted before the client is checked (seq-cst, against the device's delete of the handle):
    // either this check sees the client gone, or its disconnect waits for this start (clients.beginStart).
    env.clients.beginStart(cmd.clientSlot);
    const client = env.clients.at(cmd.clientSlot);
    if (client.id !== cmd.clientId || client.state !== ClientState.CONNECTED) {
      env.clients.endStart(cmd.clientSlot);
      // hgcmServiceThread: a call queued for a client whose handle was deleted fails with
      // VERR_HGCM_INVALID_CLIENT_ID; it completes with that status, which frees its slot and snapshot.
      yield* hgcmCompletedWorker(env, cmd, Status.VERR_HGCM_INVALID_CLIENT_ID, { kind: 'none' });
      return;
    }
    // The start ends when svcCall returns (a disconnect then follows it, as on upstream's one service
    // thread), or, on a path that never gets there, when the call is done: once either way.
    const call = new HostCall(this.callHost(cmd.service), cmd, true);
    try {
      yield* call.serve();
    } finally {
      call.reached();
    }
  }

  /** SVC_MSG_CANCELLED (pfnCancelled): advisory; the service polls isCancelled to learn which call. */
  private cancelled(clientSlot: number, clientId: number): void {
    const { env } = this.d;
    const c = env.clients.at(clientSlot);
    if (c.id !== clientId || c.state !== ClientState.CONNECTED) return;
    const h = this.callHost(c.service);
    env.stats.add('host.cancelNotices');
    const { service } = h;
    if (service.cancelled)
      h.guard(
        `cancelled client ${clientId}`,
        () => service.cancelled!(h.ctx, { clientId, requestor: c.requestor }),
        undefined,
      );
  }
}

/** hgcmServiceThread's handling of one command, traced when its call is. */
const serveCommand = traced(
  {
    span: 'hgcmServiceThread',
    tracer: (w: HostWorker) => w.d.env.tracer,
    begin: (_w, _kind, cmd) => [cmd.phys, cmd.id],
    joins: (_w, _kind, cmd) => cmd.traced,
  },
  // (Not a generator itself: it hands back the command's own step machine, one resume level fewer at each
  // of the command's steps.)
  function hgcmServiceThread(w: HostWorker, kind: number, cmd: HgcmCommand): Proc<void> {
    if (kind === Work.CONNECT) return w.connect(cmd);
    if (kind === Work.DISCONNECT) return w.disconnect(cmd);
    return w.call(cmd);
  },
);

/** A thrown value on one line: its message and where it was thrown (the first stack frame), no stack. */
export function thrown(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const at = e.stack?.split('\n').find((l) => /^\s+at /.test(l));
  return at === undefined ? e.message : `${e.message} (${at.trim()})`;
}

/** A service error: counted, and one log line naming the service, what it was doing and why. */
function serviceFault(d: HostWorkerDeps, spec: ServiceSpec, what: string, why: string): void {
  d.env.stats.add('host.serviceErrors');
  d.log(`host: ${spec.name} ${what}: ${why}`);
}

function makeContext(d: HostWorkerDeps, spec: ServiceSpec): ServiceContext {
  // A throw from a service's own timer or watch callback is a service bug like a throw from svcCall: one
  // counted log line, never an exception loose in the host's loop (it would kill the worker, or the sim).
  const guarded = (what: string, fn: () => void) => (): void => {
    try {
      fn();
    } catch (e) {
      serviceFault(d, spec, what, `threw ${thrown(e)}`);
    }
  };
  const bytes = spec.clientStateBytes;
  const states = spec.clientState ? new Uint8Array(spec.clientState) : undefined;
  return {
    name: spec.name,
    config: spec.config,
    shared: spec.shared,
    clientState(clientId: number): Uint8Array {
      if (states === undefined) return new Uint8Array(0);
      const slot = clientId % d.env.clients.capacity;
      return states.subarray(slot * bytes, (slot + 1) * bytes);
    },
    clock: d.clock,
    setTimer: (ms, fn) => d.setTimer(ms, guarded('timer', fn)),
    watch: (cell, seen, fn) => d.watch(cell, seen, guarded('watch', fn)),
    log: (m) => d.log(`${spec.name}: ${m}`),
    workerId: d.workerId,
    trace: d.env.tracer,
  };
}

/**
 * The HostPort of a device on `env`: `ring` to the pool, `inline` (a HostWorker with `inline: true`) for
 * the calls that run on the thread handling the port write (HostWorker.runsHere). The ring holds every command twice over plus the workers' STOP items, so a
 * push of a command cannot fail; cancel notices take only its first half.
 */
export function hostPort(env: HostEnv, ring: DispatchRing, inline: HostWorker | undefined): HostPort {
  return {
    // (A step machine only for an inline call; a push onto the ring is done in the call, no generator.)
    dispatch(kind: WorkKind, slot: number, call?: ParsedCall): Proc<void> {
      if (kind === Work.CALL && inline?.runsHere(slot) === true) return inline.serve(kind, slot, 0, call);
      if (!ring.push(kind, slot))
        throw new InvariantError('dispatch ring full: sized below the command table');
      return finished();
    },
    cancelled(client: ClientInfo): void {
      if (ring.length < ring.capacity / 2) ring.push(Work.CANCELLED, client.slot, client.id);
    },
    *complete(slot: number, rc: StatusCode, clientId?: number): Proc<void> {
      const results =
        clientId === undefined ? ({ kind: 'none' } as const) : { kind: 'connect' as const, clientId };
      yield* hgcmCompletedWorker(env, readCommand(env.cmds, env.snaps, slot), rc, results);
    },
    *abandoned(slot: number, id: number): Proc<void> {
      const cmd = readCommandHead(env.cmds, env.snaps, slot);
      // RACE: the service may have completed it meanwhile and the slot gone to another command; the list's
      // remove is by command id, so at worst this finds it gone.
      if (cmd.id === id && isCall(cmd.type)) yield* endOrphan(env, cmd);
    },
  };
}

/**
 * At a client's disconnect, after pfnDisconnect: end every call of that client that the guest cancelled
 * and its service still holds (a worker took it). Nothing is written for a cancelled call, and no guest
 * waits for it; upstream leaves it listed until the service completes it, so a service that never does
 * pins its slot and snapshot for good. Here the client's end is its end (counted host.freedAtDisconnect);
 * a later completion by the service finds its command gone (the list's remove is by command id). Calls
 * not cancelled stay the service's to complete, as upstream; calls still waiting in the ring are ended
 * when a worker picks them (`call`).
 */
function* endClientCalls(env: HostEnv, clientSlot: number, clientId: number): Proc<void> {
  for (const slot of env.cmds.listedSlots()) {
    // (The command's fields are read only for one that a worker took and the guest cancelled.)
    if (env.cmds.get(slot, CmdField.OWNER) === 0 || !env.cmds.isCancelled(slot)) continue;
    const cmd = readCommandHead(env.cmds, env.snaps, slot);
    if (cmd.clientSlot !== clientSlot) continue;
    if (cmd.clientId !== clientId || !isCall(cmd.type)) continue;
    yield* endOrphan(env, cmd);
  }
}

/** End a cancelled call of a gone client that its service holds (nothing is written back), counted. */
function* endOrphan(env: HostEnv, cmd: HgcmCommand): Proc<void> {
  const ended = yield* hgcmCompletedWorker(env, cmd, Status.VERR_HGCM_INVALID_CLIENT_ID, { kind: 'none' });
  if (ended !== 'gone') env.stats.add('host.freedAtDisconnect');
}

/**
 * Complete, with VERR_HGCM_INTERNAL, every listed command a dead pool worker had taken: its calls would
 * otherwise never complete and their guests would wait forever. Returns how many were failed.
 */
export function* failOwnedCommands(env: HostEnv, workerId: number): Proc<number> {
  let n = 0;
  for (const slot of env.cmds.listedSlots()) {
    if (env.cmds.get(slot, CmdField.OWNER) !== workerId + 1) continue;
    const cmd = readCommandHead(env.cmds, env.snaps, slot);
    if ((yield* hgcmCompletedWorker(env, cmd, Status.VERR_HGCM_INTERNAL, { kind: 'none' })) === 'written')
      n++;
  }
  return n;
}

/** A call request type (32 or 64-bit), not a connect or disconnect. */
function isCall(type: number): boolean {
  return type === RequestType.HGCMCall32 || type === RequestType.HGCMCall64;
}
