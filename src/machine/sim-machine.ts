// A whole machine under the deterministic sim executor: the same guest library, device, HGCM host loop
// and services as Machine, as actors on one thread, interleaved by a seeded scheduler in virtual time.
// Same seed, same trace; a different seed, a different interleaving with the same results.
import type { StatusCode } from '../abi/index.js';
import { buildRegistry, type HgcmService, hostCall, loadServices, type SvcParm } from '../hgcm/index.js';
import type { HostEnv, HostWorker } from '../host/index.js';
import { type AtomicCell, ConfigError, type Proc, watchCell } from '../runtime/index.js';
import {
  firstStrategy,
  randomStrategy,
  Sim,
  type SimMark,
  type SimOptions,
  type SimResult,
  type Strategy,
} from '../sim/index.js';
import { VBSF_SERVICE_NAME } from '../vbsf/index.js';
import { closeSession, type GuestKernel, GuestLib, Session } from '../vcpu/index.js';
import { type DeviceEnv, deviceLoop, RequestScratch } from '../vmmdev/index.js';
import {
  TraceSlot,
  attachDeviceEnv,
  attachGuestKernel,
  attachHostEnv,
  createShared,
  hostWorker,
} from './assemble.js';
import { resolveConfig, type MachineConfig, type MachineShared } from './config.js';
import { type Extent, MachineImage } from './image.js';
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
  readonly watches: number;
  readonly log: readonly string[];
}

/** A guest program under sim: a step machine over the guest library of one vCPU. */
export type SimProgram<T> = (lib: GuestLib, k: GuestKernel) => Proc<T>;

/** A machine whose threads are sim actors. */
export class SimMachine {
  readonly sim: Sim;
  readonly shared: MachineShared;
  private readonly kernels: GuestKernel[];
  private readonly services: readonly (HgcmService | undefined)[];
  private logLines: string[] = [];
  /** The shared folders: add and remove shares between runs or from a sim timer (see Machine.shares). */
  readonly shares: Shares;
  /** Actors spawned so far by completions and by ServiceContext.watch: their numbers name the next. */
  private completions = 0;
  private watches = 0;
  /** Watch actors not yet fired (what a service holds outside shared memory while they wait). */
  private liveWatches = 0;
  private envs:
    | { readonly device: DeviceEnv; readonly scratch: RequestScratch; readonly hosts: readonly HostEnv[] }
    | undefined;
  /**
   * The host workers, kept across restores: between requests they hold nothing but what memory holds, and
   * their services' contexts hold nothing either unless a service armed a watch (vbsf's mapping waits),
   * in which case restore() builds them afresh. (Building them runs every service's setup and makes a
   * context per service: a tenth of a short run's cost.)
   */
  private workers: HostWorker[] | undefined;
  /** A recyclable machine's state right after its boot. */
  private booted: MachinePoint | undefined;

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

  private log(line: string): void {
    this.logLines.push(`[${this.sim.clock.now()}] ${line}`);
  }

  /** What the device (or, with device 'emt', each vCPU) needs to run inline services itself. */
  private inline() {
    const specs = this.shared.services;
    return {
      services: this.services.map((svc, i) => (specs[i]!.onDevice ? svc : undefined)),
      spawn: (proc: Proc<unknown>) => void this.sim.spawn(`complete#${this.completions++}`, proc),
    };
  }

  /** Start the device and the host workers as actors (their environments are built once). */
  private spawnDaemons(): void {
    const { shared, sim } = this;
    this.envs ??= {
      device: attachDeviceEnv(shared, sim.clock, (l) => this.log(`device: ${l}`), this.inline()),
      // One device actor at a time (restore drops the last one): its buffers can be the last one's.
      scratch: new RequestScratch(),
      hosts: Array.from({ length: shared.config.hostWorkers }, (_, w) =>
        attachHostEnv(shared, TraceSlot.host(shared, w)),
      ),
    };
    sim.spawn('device', deviceLoop(this.envs.device, this.envs.scratch), { daemon: true });
    this.workers ??= this.envs.hosts.map((env, w) =>
      hostWorker(shared, w, env, this.services, {
        clock: sim.clock,
        spawn: (proc) => void sim.spawn(`complete#${this.completions++}`, proc),
        setTimer: (ms, fn) => sim.setTimer(ms, fn),
        watch: (cell, seen, fn) => this.watch(cell, seen, fn),
        log: (l) => this.log(`host${w}: ${l}`),
      }),
    );
    for (const [w, worker] of this.workers.entries()) sim.spawn(`host${w}`, worker.run(), { daemon: true });
  }

  /**
   * ServiceContext.watch under sim: a daemon actor (a watch nobody triggers does not keep the run from
   * ending), counted while it waits, since the service that armed it remembers that it did.
   */
  private watch(cell: AtomicCell, seen: number, fn: () => void): void {
    this.liveWatches++;
    const fire = (): void => {
      this.liveWatches--;
      fn();
    };
    this.sim.spawn(`watch#${this.watches++}`, watchCell(cell, seen, fire), { daemon: true });
  }

  /** The services' extents of their shared blocks (HgcmService.sharedExtent), for the image. */
  private extents(): Map<SharedArrayBuffer, Extent> {
    const extents = new Map<SharedArrayBuffer, Extent>();
    for (const spec of this.shared.services) {
      const svc = this.services[spec.index];
      const shared = spec.shared;
      if (shared !== undefined && svc?.sharedExtent !== undefined)
        extents.set(shared, () => svc.sharedExtent!(shared));
    }
    return extents;
  }

  /**
   * Where a quiet machine stands (every program done, the device and host workers idle): its shared memory,
   * the sim's clock, the completions spawned so far and the log. restore() brings it back.
   */
  save(): MachinePoint {
    // A watch still waiting belongs to a service context whose state (what it holds, that it is
    // watching) lives outside shared memory: no image could bring that back, so such a point is refused.
    if (this.liveWatches > 0)
      throw new Error(`SimMachine.save: ${this.liveWatches} service watch(es) still armed`);
    return {
      memory: MachineImage.save(this.shared, this.extents()),
      sim: this.sim.mark(),
      completions: this.completions,
      watches: this.watches,
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
    // The rewind dropped every watch actor. A service that armed one since `p` remembers it in its
    // context: such host workers are built afresh (fresh contexts hold no waiters and watch nothing, as
    // at `p`, since save refuses a point with a watch armed); otherwise they are what they were.
    if (this.watches !== p.watches) this.workers = undefined;
    this.watches = p.watches;
    this.liveWatches = 0;
    this.spawnDaemons();
    this.sim.reconfigure({ observer: undefined, trace: false });
    this.sim.setStrategy(firstStrategy);
    const r = this.sim.run();
    if (r.status !== 'done')
      throw new Error(`SimMachine.restore: the device and host did not settle (${r.status})`);
  }

  /**
   * Between runs of a kept machine: let go of the last run's actors, timers, holds, trace and observer
   * (restore() starts the next run without them). A machine the stress harness keeps would otherwise hold
   * its last run's step machines and oracles until its next run, a round of the campaign later: long
   * enough for the collector to move them to the old generation, which then grew between full collections.
   */
  park(): void {
    this.sim.rewind(this.sim.mark());
    this.sim.reconfigure({ observer: undefined });
    this.sim.setStrategy(firstStrategy);
    this.logLines = [];
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
