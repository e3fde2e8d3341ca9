// A whole machine under the deterministic sim executor: the same guest library, device, HGCM host loop
// and services as Machine, as actors on one thread, interleaved by a seeded scheduler in virtual time.
// Same seed, same trace; a different seed, a different interleaving with the same results.
import { buildRegistry, loadServices } from '../hgcm/registry.js';
import type { Proc } from '../runtime/proc.js';
import {
  Sim,
  randomStrategy,
  type SimMark,
  type SimOptions,
  type SimResult,
  type Strategy,
} from '../sim/sim.js';
import type { HgcmService } from '../hgcm/service.js';
import { GuestLib } from '../vcpu/guest-lib.js';
import type { GuestKernel } from '../vcpu/kernel.js';
import { Session, closeSession } from '../vcpu/vboxguest.js';
import type { HgcmHostEnv } from '../vmmdev/complete.js';
import { deviceLoop } from '../vmmdev/device.js';
import type { DeviceEnv } from '../vmmdev/device-env.js';
import {
  TraceSlot,
  attachDeviceEnv,
  attachGuestKernel,
  attachHostEnv,
  createShared,
  hostWorker,
} from './assemble.js';
import { resolveConfig, type MachineConfig, type MachineShared } from './config.js';
import { MachineImage } from './image.js';
import { MachineTrace } from './trace.js';
import { enableTsImports } from './worker-url.js';
import { firstStrategy } from '../sim/strategies.js';

/** Options of a sim machine. */
export interface SimMachineOptions {
  readonly seed: number;
  /** Default: uniformly random choices from the seed. */
  readonly strategy?: Strategy;
  readonly maxSteps?: number;
  /** The sim's wait semantics, time profile, step observer and trace switch (the stress harness's). */
  readonly sim?: Pick<SimOptions, 'waits' | 'time' | 'observer' | 'trace'>;
  /**
   * Keep an image of the booted machine so that reset() can bring it back for another run (the stress
   * harness reuses machines: no new shared memory, no boot per run). The device and host actors are
   * started afresh after the boot, so a run on a reset machine is the run a fresh one makes.
   */
  readonly recyclable?: boolean;
}

/** A quiet machine's state, to come back to (SimMachine.save / restore). */
export interface MachinePoint {
  readonly memory: MachineImage;
  readonly sim: SimMark;
  readonly completions: number;
  readonly log: readonly string[];
}

/** A guest program under sim: a step machine over the guest library of one vCPU. */
export type SimProgram<T> = (lib: GuestLib, k: GuestKernel) => Proc<T>;

/** A machine whose threads are sim actors. */
export class SimMachine {
  readonly sim: Sim;
  readonly shared: MachineShared;
  private readonly kernels: GuestKernel[];
  private logLines: string[] = [];
  private services: readonly (HgcmService | undefined)[] = [];
  private completions = 0;
  private envs: { readonly device: DeviceEnv; readonly hosts: readonly HgcmHostEnv[] } | undefined;
  /** A recyclable machine's state right after its boot. */
  private booted: MachinePoint | undefined;

  private constructor(sim: Sim, shared: MachineShared, kernels: GuestKernel[]) {
    this.sim = sim;
    this.shared = shared;
    this.kernels = kernels;
  }

  private log(line: string): void {
    this.logLines.push(`[${this.sim.clock.now()}] ${line}`);
  }

  /** What the device (or, with device 'emt', each vCPU) needs to run inline services itself. */
  private inline() {
    const specs = this.shared.services;
    return {
      services: this.services.map((svc, i) => (specs[i]!.inline ? svc : undefined)),
      spawn: (proc: Proc<unknown>) => void this.sim.spawn(`complete#${this.completions++}`, proc),
    };
  }

  /** Start the device and the host workers as actors (their environments are built once). */
  private spawnDaemons(): void {
    const { shared, sim } = this;
    this.envs ??= {
      device: attachDeviceEnv(shared, sim.clock, (l) => this.log(`device: ${l}`), this.inline()),
      hosts: Array.from({ length: shared.config.hostWorkers }, (_, w) =>
        attachHostEnv(shared, TraceSlot.host(shared, w)),
      ),
    };
    sim.spawn('device', deviceLoop(this.envs.device), { daemon: true });
    for (const [w, env] of this.envs.hosts.entries()) {
      const worker = hostWorker(shared, w, env, this.services, {
        clock: sim.clock,
        spawn: (proc) => void sim.spawn(`complete#${this.completions++}`, proc),
        setTimer: (ms, fn) => sim.setTimer(ms, fn),
        log: (l) => this.log(`host${w}: ${l}`),
      });
      sim.spawn(`host${w}`, worker.run(), { daemon: true });
    }
  }

  /**
   * Where a quiet machine stands (every program done, the device and host workers idle): its shared memory,
   * the sim's clock, the completions spawned so far and the log. restore() brings it back.
   */
  save(): MachinePoint {
    return {
      memory: MachineImage.save(this.shared),
      sim: this.sim.mark(),
      completions: this.completions,
      log: [...this.logLines],
    };
  }

  /**
   * Bring the machine back to `p`: every shared buffer restored, the sim rewound, the device and host
   * workers started afresh and run to their idle waits (they keep nothing between requests but what
   * memory holds, so they are then what they were at `p`), the log as it was. Only for a machine whose
   * last run ended cleanly: one stopped halfway through a step (a violation, a throw) may hold state
   * outside its shared memory that no image restores, so such a machine is thrown away.
   */
  restore(p: MachinePoint): void {
    p.memory.restore();
    this.sim.rewind(p.sim);
    this.logLines = [...p.log];
    this.completions = p.completions;
    this.spawnDaemons();
    this.sim.reconfigure({ observer: undefined, trace: false });
    this.sim.setStrategy(firstStrategy);
    const r = this.sim.run();
    if (r.status !== 'done')
      throw new Error(`SimMachine.restore: the device and host did not settle (${r.status})`);
  }

  /** A recyclable machine, back as it was right after its boot (see restore). */
  reset(): void {
    if (this.booted === undefined)
      throw new Error('SimMachine.reset: the machine was not created recyclable');
    this.restore(this.booted);
  }

  /** Build the machine, start the device and host actors, and boot the guest driver (in sim time). */
  static async create(config: MachineConfig, opts: SimMachineOptions): Promise<SimMachine> {
    const resolved = resolveConfig(config);
    await enableTsImports();
    const specs = await buildRegistry(resolved.services, resolved.clientSlots);
    const shared = createShared(resolved, specs);
    const sim = new Sim({
      ...opts.sim,
      strategy: opts.strategy ?? randomStrategy(opts.seed),
      ...(opts.maxSteps === undefined ? {} : { maxSteps: opts.maxSteps }),
    });
    const kernels: GuestKernel[] = [];
    const m = new SimMachine(sim, shared, kernels);
    m.services = await loadServices(specs);
    // Device 'emt': each vCPU actor runs the request handler itself when it writes the port.
    const emt = resolved.device === 'emt' ? { inline: m.inline() } : undefined;
    for (let i = 0; i < resolved.vcpus; i++)
      kernels.push(attachGuestKernel(shared, i, sim.clock, (l) => m.log(`vcpu${i}: ${l}`), emt));
    m.spawnDaemons();
    const boot = sim.spawn('boot', m.bootProc());
    const r = sim.run();
    if (r.status !== 'done') throw new Error(`sim boot did not finish: ${r.status}`);
    boot.result();
    if (opts.recyclable === true) {
      m.booted = m.save();
      m.reset();
    }
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
