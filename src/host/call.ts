// One call's life on the host, from the worker's pick to its one completion: the capture of its input,
// svcCall, and the call handle the service completes it through (hgcmServiceThread's SVC_MSG_GUESTCALL,
// VBOXHGCMCALLHANDLE and pfnCallComplete in HGCM.cpp). A HostCall owns what the call holds on the host
// (its parameters' buffers) until its completion has run, and lets exactly one completion through.
// Runs on a host worker thread (for an inline service, the thread handling the port write); a service that
// completes later does so from a timer or callback on the same thread.
import { Status, statusName, type StatusCode } from '../abi/index.js';
import type { HgcmService, ServiceContext, SvcCall, SvcParm } from '../hgcm/index.js';
import { FaultSteps, point, type Proc } from '../runtime/index.js';
import type { HgcmCommand } from '../vmmdev/index.js';
import { hgcmCompletedWorker, type CompletionOutcome, type HostEnv } from './complete.js';
import { badOutputs, badStatus } from './contract.js';
import { CALL_FAULTS } from './fault-steps.js';
import { hostParms, releaseParms } from './marshal.js';

/** What a call needs from the worker that took it. */
export interface CallHost {
  readonly env: HostEnv;
  /** The service, its context on this worker, and the name it is registered under (for log lines). */
  readonly service: HgcmService;
  readonly ctx: ServiceContext;
  readonly name: string;
  /** Served inline (HgcmService.inline): the call must finish before serve returns. */
  readonly inline: boolean;
  /** Run a completion a service asks for from a timer or callback (threads: now; sim: a new actor). */
  spawn(proc: Proc<unknown>): void;
  log(message: string): void;
  /**
   * Run the service's callback; a throw is a service bug, reported (`fault`) and turned into `onThrow`.
   * `what` names the callback and its client ("fn 3 client 7", "connect client 7").
   */
  guard<T>(what: string, fn: () => T, onThrow: T): T;
  /** A service broke its contract in `what`: counted (host.serviceErrors) and one log line. */
  fault(what: string, why: string): void;
}

/** A call command on the host. */
export class HostCall {
  readonly host: CallHost;
  readonly cmd: HgcmCommand;
  /** The service's view of the parameters: empty until the input is captured. */
  parms: SvcParm[] = [];
  /** Completions asked for so far (service's returns and pfnCallComplete): only the first goes through. */
  completions = 0;
  /** The call still counts as a start of its client (ClientTable.beginStart), until `reached`. */
  private starting: boolean;

  /**
   * `started`: the worker counted this call as a start of its client (ClientTable.beginStart); the start
   * ends once the service's svcCall has returned (not after the completion that may follow), so a
   * disconnect waiting for it follows svcCall and no more, or when the call is over, whichever is first.
   */
  constructor(host: CallHost, cmd: HgcmCommand, started = false) {
    this.host = host;
    this.cmd = cmd;
    this.starting = started;
  }

  /** The service returned from svcCall, or the call is over: the client's start ends (once). */
  reached(): void {
    if (!this.starting) return;
    this.starting = false;
    this.host.env.clients.endStart(this.cmd.clientSlot);
  }

  /** Serve the call (unless a fault loses it): capture its input, call the service, complete it. */
  serve(): Proc<void> {
    // (The step machine of the steps the faults choose, handed back: no generator level of its own.)
    return CALL.in(this.host.env.faults).serve(this);
  }

  /** pfnCallComplete (and a service's returned status): the first completion runs, a later one is refused. */
  complete(rc: StatusCode): boolean {
    if (this.completions++ > 0) {
      CALL.in(this.host.env.faults).again(this, rc);
      return false;
    }
    return true;
  }

  /** The call in a log line: its function and client. */
  get what(): string {
    return `fn ${this.cmd.fn} client ${this.cmd.clientId}`;
  }

  /**
   * hgcmCompletedWorker for this call, then what its parameters borrowed goes back, whatever the outcome.
   * The service's status and outputs are checked first, while the command is still listed: a call that
   * breaks the contract completes with VERR_INVALID_PARAMETER and none of its outputs is written.
   */
  *finish(rc: StatusCode): Proc<CompletionOutcome> {
    const { env } = this.host;
    try {
      // SAFETY: a HostCall's command is a call (the device stored its parameters when it listed it).
      const why = badStatus(rc) ?? badOutputs(this.cmd.call!, this.parms);
      if (why === undefined)
        return yield* hgcmCompletedWorker(env, this.cmd, rc, { kind: 'call', parms: this.parms });
      this.host.fault(this.what, why);
      return yield* hgcmCompletedWorker(env, this.cmd, Status.VERR_INVALID_PARAMETER, { kind: 'none' });
    } finally {
      releaseParms(this.parms);
    }
  }
}

/**
 * The call as the service sees it (svcCall's arguments and the call handle); `complete` runs the
 * completion off the service's stack (spawned). A class, not an object of closures: under tsx every named
 * closure is also a defineProperty for its name, two per call.
 */
class ServiceCall implements SvcCall {
  readonly clientId: number;
  readonly fn: number;
  readonly parms: SvcParm[];
  readonly requestor: number;
  private readonly c: HostCall;

  constructor(c: HostCall) {
    this.c = c;
    this.clientId = c.cmd.clientId;
    this.fn = c.cmd.fn;
    this.parms = c.parms;
    this.requestor = c.host.env.clients.at(c.cmd.clientSlot).requestor;
  }

  isCancelled(): boolean {
    return this.c.host.env.cmds.isCancelled(this.c.cmd.slot);
  }

  complete(rc: StatusCode): void {
    const c = this.c;
    if (c.complete(rc)) c.host.spawn(c.finish(rc));
  }
}

/**
 * SVC_MSG_GUESTCALL: open the capture window (a call the guest cancelled before the host got to it is
 * never started, and its input is never read), copy the input out of guest memory, close the window, call
 * the service, and complete the call with its status unless it completes later itself.
 */
function* serve(c: HostCall): Proc<void> {
  const { env } = c.host;
  const { cmd } = c;
  const s = CALL.in(env.faults);
  yield point('host.isCancelled', cmd.phys, cmd.id);
  if (!(yield* s.capture(c))) {
    yield* hgcmCompletedWorker(env, cmd, Status.VERR_CANCELLED, { kind: 'none' });
    return;
  }
  // SAFETY: a call command always carries its parsed parameters (the device stored them when it listed it).
  c.parms = hostParms(env.mem, cmd.call!, cmd.snapshot, c.host.inline);
  env.cmds.endCapture(cmd.slot);
  env.stats.add('host.started');
  yield point('host.sideEffect', cmd.phys, cmd.id);
  const rc = svcCall(c, new ServiceCall(c));
  c.reached();
  if (rc === Status.VINF_HGCM_ASYNC_EXECUTE) {
    if (!c.host.inline || c.completions > 0) return;
    // An inline call cannot finish later: nothing runs on this thread between requests.
    c.host.log(`host: inline service ${c.host.name} returned VINF_HGCM_ASYNC_EXECUTE for call ${cmd.id}`);
    c.complete(rc);
    yield* c.finish(Status.VERR_NOT_SUPPORTED);
    return;
  }
  if (c.completions > 0) {
    c.host.log(`host: ${c.host.name} returned ${statusName(rc)} for call ${cmd.id} it had completed`);
    return;
  }
  c.complete(rc);
  yield* c.finish(rc);
}

/** svcCall: the service's pfnCall, traced; a throw is a service bug and fails the call. */
function svcCall(c: HostCall, call: SvcCall): StatusCode {
  const { tracer } = c.host.env;
  tracer.begin('svcCall', call.fn, c.cmd.service);
  const rc = c.host.guard(c.what, () => c.host.service.call(c.host.ctx, call), Status.VERR_INTERNAL_ERROR);
  tracer.end('svcCall', call.fn, rc);
  return rc;
}

/** Open the capture window (CommandTable.beginCapture): false if the call was cancelled or is gone. */
function capture(c: HostCall): Proc<boolean> {
  return c.host.env.cmds.beginCapture(c.cmd.slot, c.cmd.id);
}

/** A completion after the first: logged and refused (the call is over). */
function again(c: HostCall, rc: StatusCode): void {
  c.host.log(`host: ${c.host.name} completed call ${c.cmd.id} twice (${statusName(rc)}); ignored`);
}

/** The steps of a call on the host that faults replace (their wrong versions: fault-steps.ts). */
export interface CallSteps {
  readonly serve: typeof serve;
  readonly capture: typeof capture;
  readonly again: typeof again;
}

const CALL = new FaultSteps<CallSteps>({ serve, capture, again }, CALL_FAULTS);
