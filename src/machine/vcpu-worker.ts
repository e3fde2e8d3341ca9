// Worker entry of a vCPU: attach the guest kernel to the machine's memory and the device bus, then run
// guest programs the main thread sends (over comlink). A program runs to completion on this thread; its
// HGCM calls block the vCPU in Atomics.wait like a guest thread in the kernel.
import * as Comlink from 'comlink';
import { parentPort } from 'node:worker_threads';
import { RT_FAILURE, statusName } from '../abi/index.js';
import { loadServices } from '../hgcm/index.js';
import {
  asMachineWorkAsync,
  asParked,
  type Proc,
  runSync,
  type ThreadExecOptions,
  importModule,
} from '../runtime/index.js';
import { GuestContext } from '../guest/index.js';
import { closeSession, type GuestKernel, Session } from '../vcpu/index.js';
import { attachGuestKernel, machineClock, threadExec, type EmtDevice } from './assemble.js';
import type { MachineShared } from './config.js';
import { collectGarbage } from './collect.js';
import { nodeEndpoint } from './endpoint.js';
import { installErrorTransfer } from './error-transfer.js';
import type { WorkerMessage } from './messages.js';

const post = (m: WorkerMessage): void => parentPort?.postMessage(m);

/** The machine this thread serves as vCPU `vcpu`. */
interface Attached {
  readonly vcpu: number;
  readonly k: GuestKernel;
  readonly opts: ThreadExecOptions;
  readonly exec: <T>(proc: Proc<T>) => T;
}

let at: Attached | undefined;

/**
 * Serve `shared` as its vCPU `vcpu`: the guest kernel on its memory and device bus. Always by message,
 * never through workerData: what a thread's workerData holds stays reachable for the thread's life, and a
 * thread kept for other machines (spare-pools.ts) would hold its first machine's memory for good.
 */
async function attach(shared: MachineShared, vcpu: number): Promise<void> {
  // Device 'emt': this thread handles its own port writes, so it runs the inline services' calls too.
  let emt: EmtDevice | undefined;
  if (shared.config.device === 'emt') {
    const services = await loadServices(shared.services, (spec) => spec.onDevice);
    emt = { inline: { services, spawn: (proc) => void runSync(proc, opts) } };
  }
  const k = attachGuestKernel(
    shared,
    vcpu,
    machineClock(shared),
    (line) => post({ type: 'log', line: `vcpu${vcpu}: ${line}` }),
    emt,
  );
  const opts: ThreadExecOptions = threadExec(shared, k.tracer);
  at = { vcpu, k, opts, exec: (proc) => runSync(proc, opts) };
}

function attached(): Attached {
  if (at === undefined) throw new Error('this vCPU thread serves no machine');
  return at;
}

/** A guest program: a function of the guest context and its arguments. */
type Program = (g: GuestContext, args: unknown) => unknown;

/** The vCPU's control-plane API. */
const api = {
  /** Serve a machine (first the one that started the thread, then others: spare-pools.ts). */
  attach,
  /**
   * The machine stopped with no program running here: let it go, and collect what is left of it at once,
   * so that its memory is free before the next machine allocates its own (an idle thread would not collect
   * it: glibc's heap then grew by a machine's RAM every few cycles).
   */
  detach(): void {
    at = undefined;
    collectGarbage();
  },
  /** Driver initialisation (vCPU 0, once per machine). */
  boot(): string {
    const { k, exec } = attached();
    const rc = exec(k.initDriver());
    if (RT_FAILURE(rc)) throw new Error(`guest driver init failed: ${statusName(rc)}`);
    return statusName(rc);
  },
  /** Per-vCPU setup. */
  init(): void {
    const { k, exec, vcpu } = attached();
    const rc = exec(k.initVcpu());
    if (RT_FAILURE(rc)) throw new Error(`vCPU ${vcpu} init failed: ${statusName(rc)}`);
  },
  /** Run `exportName` of `module` as a guest program in a fresh session (closed afterwards). */
  async run(module: string, exportName: string, args: unknown, user: boolean): Promise<unknown> {
    const a = attached();
    const mod = await importModule(module, 'guest module');
    const fn = mod[exportName];
    if (typeof fn !== 'function') throw new TypeError(`${module} has no function export "${exportName}"`);
    a.k.tracer.reset();
    // A controlled machine: the program's own code between its step machines is running, not outside.
    a.opts.control?.beginProgram();
    try {
      // SAFETY: checked to be a function; programs take (GuestContext, args).
      return await runProgram(a, fn as Program, args, user);
    } finally {
      a.opts.control?.endProgram();
    }
  },
};

/** Run a guest program in a fresh session, closed afterwards. */
async function runProgram(
  { k, exec, opts }: Attached,
  fn: Program,
  args: unknown,
  user: boolean,
): Promise<unknown> {
  const session = Session.open(k, user);
  if (typeof session === 'number') throw new Error(`cannot open a session: ${statusName(session)}`);
  const g = new GuestContext(k, session, exec, (fn) => asParked(opts, fn));
  try {
    return await asMachineWorkAsync(opts, async () => fn(g, args));
  } finally {
    exec(closeSession(k, session));
    // After the session's clients are gone: what the program allocated goes back (as at process exit).
    g.releaseAllocations();
    k.bus.consumeSignals();
  }
}

/** The vCPU API type, for the main thread's comlink proxy. */
export type VcpuApi = typeof api;

installErrorTransfer();
Comlink.expose(api, nodeEndpoint(parentPort!));
