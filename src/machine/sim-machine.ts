// A whole machine under the deterministic sim executor: the same guest library, device, HGCM host loop
// and services as Machine, as actors on one thread, interleaved by a seeded scheduler in virtual time.
// Same seed, same trace; a different seed, a different interleaving with the same results.
import type { StatusCode } from '../abi/index.js';
import { buildRegistry, type HgcmService, hostCall, loadServices, type SvcParm } from '../hgcm/index.js';
import { ConfigError, type Proc, watchCell } from '../runtime/index.js';
import { randomStrategy, Sim, type SimOptions, type SimResult, type Strategy } from '../sim/index.js';
import { VBSF_SERVICE_NAME } from '../vbsf/index.js';
import { closeSession, type GuestKernel, GuestLib, Session } from '../vcpu/index.js';
import { deviceLoop } from '../vmmdev/index.js';
import {
  TraceSlot,
  attachDeviceEnv,
  attachGuestKernel,
  attachHostEnv,
  createShared,
  hostWorker,
} from './assemble.js';
import { resolveConfig, type MachineConfig, type MachineShared } from './config.js';
import { Shares } from './shares.js';
import { MachineTrace } from './trace.js';

/** Options of a sim machine. */
export interface SimMachineOptions {
  readonly seed: number;
  /** Default: uniformly random choices from the seed. */
  readonly strategy?: Strategy;
  readonly maxSteps?: number;
  /** The sim's wait semantics, time profile, step observer and trace switch (the stress harness's). */
  readonly sim?: Pick<SimOptions, 'waits' | 'time' | 'observer' | 'trace'>;
}

/** A guest program under sim: a step machine over the guest library of one vCPU. */
export type SimProgram<T> = (lib: GuestLib, k: GuestKernel) => Proc<T>;

/** A machine whose threads are sim actors. */
export class SimMachine {
  readonly sim: Sim;
  readonly shared: MachineShared;
  private readonly kernels: GuestKernel[];
  private readonly services: readonly (HgcmService | undefined)[];
  private readonly logLines: string[] = [];
  /** The shared folders: add and remove shares between runs or from a sim timer (see Machine.shares). */
  readonly shares: Shares;

  private constructor(
    sim: Sim,
    shared: MachineShared,
    kernels: GuestKernel[],
    services: readonly (HgcmService | undefined)[],
  ) {
    this.sim = sim;
    this.shared = shared;
    this.kernels = kernels;
    this.services = services;
    this.shares = new Shares(
      (fn, parms) => Promise.resolve(this.hostCall(VBSF_SERVICE_NAME, fn, parms)),
      () => this.shared.services.find((s) => s.name === VBSF_SERVICE_NAME)?.shared,
    );
  }

  /** Build the machine, start the device and host actors, and boot the guest driver (in sim time). */
  static async create(config: MachineConfig, opts: SimMachineOptions): Promise<SimMachine> {
    const resolved = resolveConfig(config);
    const specs = await buildRegistry(resolved.services, resolved.clientSlots);
    const shared = createShared(resolved, specs);
    const sim = new Sim({
      ...opts.sim,
      strategy: opts.strategy ?? randomStrategy(opts.seed),
      ...(opts.maxSteps === undefined ? {} : { maxSteps: opts.maxSteps }),
    });
    const kernels: GuestKernel[] = [];
    const services = await loadServices(specs);
    const m = new SimMachine(sim, shared, kernels, services);
    const log = (line: string): void => m.log(line);
    let completions = 0;
    let watches = 0;
    const inline = {
      services: services.map((svc, i) => (specs[i]!.onDevice ? svc : undefined)),
      spawn: (proc: Proc<unknown>) => void sim.spawn(`complete#${completions++}`, proc),
    };
    // Device 'emt': each vCPU actor runs the request handler itself when it writes the port.
    const emt = resolved.device === 'emt' ? { inline } : undefined;
    for (let i = 0; i < resolved.vcpus; i++)
      kernels.push(attachGuestKernel(shared, i, sim.clock, (l) => log(`vcpu${i}: ${l}`), emt));
    const deviceEnv = attachDeviceEnv(shared, sim.clock, (l) => log(`device: ${l}`), inline);
    sim.spawn('device', deviceLoop(deviceEnv), { daemon: true });
    for (let w = 0; w < resolved.hostWorkers; w++) {
      const env = attachHostEnv(shared, TraceSlot.host(shared, w));
      const worker = hostWorker(shared, w, env, services, {
        clock: sim.clock,
        spawn: (proc) => void sim.spawn(`complete#${completions++}`, proc),
        setTimer: (ms, fn) => sim.setTimer(ms, fn),
        // A daemon: a watch nobody triggers does not keep the run from ending.
        watch: (cell, seen, fn) =>
          void sim.spawn(`watch#${watches++}`, watchCell(cell, seen, fn), { daemon: true }),
        log: (l) => log(`host${w}: ${l}`),
      });
      sim.spawn(`host${w}`, worker.run(), { daemon: true });
    }
    const boot = sim.spawn('boot', m.bootProc());
    const r = sim.run();
    if (r.status !== 'done') throw new Error(`sim boot did not finish: ${r.status}`);
    boot.result();
    return m;
  }

  private *bootProc(): Proc<void> {
    const rc = yield* this.kernels[0]!.initDriver();
    if (rc < 0) throw new Error(`guest driver init failed: ${rc}`);
    for (const k of this.kernels) yield* k.initVcpu();
  }

  /** The guest kernel of a vCPU. */
  kernel(vcpu: number): GuestKernel {
    const k = this.kernels[vcpu];
    if (k === undefined) throw new RangeError(`no vCPU ${vcpu}`);
    return k;
  }

  /**
   * Add a guest program as actor `id` on `vcpu`, in a fresh kernel session (closed when it returns).
   * Returns a handle whose result() is the program's value after run().
   */
  spawn<T>(
    id: string,
    vcpu: number,
    program: SimProgram<T>,
    opts: { user?: boolean } = {},
  ): { result: () => T } {
    const k = this.kernel(vcpu);
    const session = Session.open(k, opts.user === true);
    if (typeof session === 'number') throw new Error(`cannot open a session: ${session}`);
    const lib = new GuestLib(k, session);
    return this.sim.spawn(id, withSession(k, session, program(lib, k)));
  }

  /** Run until every program is done. */
  run(): SimResult {
    return this.sim.run();
  }

  private log(line: string): void {
    this.logLines.push(`[${this.sim.clock.now()}] ${line}`);
  }

  /**
   * HGCMHostCall (see Machine.hostCall), at once on the sim's thread: call it from a sim timer or between
   * runs, so that the run replays.
   */
  hostCall(service: string, fn: number, parms: SvcParm[]): StatusCode {
    const spec = this.shared.services.find((s) => s.name === service);
    const svc = spec === undefined ? undefined : this.services[spec.index];
    if (spec === undefined || svc === undefined) throw new ConfigError(`no service named ${service}`);
    return hostCall(spec, svc, fn, parms, (line) => this.log(line));
  }

  /** Post a signal to `vcpu` (call it from a timer or between runs). */
  signal(vcpu: number): void {
    attachHostEnv(this.shared).bus.signal(vcpu);
  }

  /** The machine's trace (recorded in virtual time). */
  get trace(): MachineTrace {
    return new MachineTrace(this.shared);
  }

  logs(): readonly string[] {
    return this.logLines;
  }
}

function* withSession<T>(k: GuestKernel, session: Session, body: Proc<T>): Proc<T> {
  try {
    return yield* body;
  } finally {
    yield* closeSession(k, session);
  }
}
