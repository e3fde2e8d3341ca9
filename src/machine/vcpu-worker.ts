// Worker entry of a vCPU: attach the guest kernel to the machine's memory and the device bus, then run
// guest programs the main thread sends (over comlink). A program runs to completion on this thread; its
// HGCM calls block the vCPU in Atomics.wait like a guest thread in the kernel.
import * as Comlink from 'comlink';
import { parentPort, workerData } from 'node:worker_threads';
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
import { closeSession, Session } from '../vcpu/index.js';
import { attachGuestKernel, machineClock, threadExec, type EmtDevice } from './assemble.js';
import type { MachineShared } from './config.js';
import { nodeEndpoint } from './endpoint.js';
import { installErrorTransfer } from './error-transfer.js';
import type { WorkerMessage } from './messages.js';

const { shared, vcpu } = workerData as { shared: MachineShared; vcpu: number };
const post = (m: WorkerMessage): void => parentPort?.postMessage(m);
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
const exec = <T>(proc: Proc<T>): T => runSync(proc, opts);

/** A guest program: a function of the guest context and its arguments. */
type Program = (g: GuestContext, args: unknown) => unknown;

/** The vCPU's control-plane API. */
const api = {
  /** Driver initialisation (vCPU 0, once per machine). */
  boot(): string {
    const rc = exec(k.initDriver());
    if (RT_FAILURE(rc)) throw new Error(`guest driver init failed: ${statusName(rc)}`);
    return statusName(rc);
  },
  /** Per-vCPU setup. */
  init(): void {
    const rc = exec(k.initVcpu());
    if (RT_FAILURE(rc)) throw new Error(`vCPU ${vcpu} init failed: ${statusName(rc)}`);
  },
  /** Run `exportName` of `module` as a guest program in a fresh session (closed afterwards). */
  async run(module: string, exportName: string, args: unknown, user: boolean): Promise<unknown> {
    const mod = await importModule(module, 'guest module');
    const fn = mod[exportName];
    if (typeof fn !== 'function') throw new TypeError(`${module} has no function export "${exportName}"`);
    k.tracer.reset();
    // A controlled machine: the program's own code between its step machines is running, not outside.
    opts.control?.beginProgram();
    try {
      // SAFETY: checked to be a function; programs take (GuestContext, args).
      return await runProgram(fn as Program, args, user);
    } finally {
      opts.control?.endProgram();
    }
  },
};

/** Run a guest program in a fresh session, closed afterwards. */
async function runProgram(fn: Program, args: unknown, user: boolean): Promise<unknown> {
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
