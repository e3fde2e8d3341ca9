// Machine configuration, its defaults and validation, and the bundle of shared memory every thread gets.
import os from 'node:os';
import { DEFAULT_GUEST_LIB, FLAVORS, type GuestLibConfig } from '../vcpu/index.js';
import { ALL_HOST_FEATURES, type HostVersion, MAX_VCPUS } from '../vmmdev/index.js';
import {
  builtinServiceModule,
  type ServiceConfig,
  type ServicePlacement,
  type ServiceSpec,
} from '../hgcm/index.js';
import { ConfigError, FAULT_NAMES, faultIndex, type FaultName } from '../runtime/index.js';
import {
  SLOW_HOST_MAX_DELAY_MS,
  slowHostModule,
  VBSF_SERVICE_NAME,
  vbsfServiceModule,
  type SharedFolderConfig,
} from '../vbsf/index.js';

/** How busy waits are: loads of the wait word before sleeping. */
export interface SpinPolicy {
  /** For waits expected to end within microseconds (a port write's answer, a lock). */
  readonly short: number;
  /** For a call's completion (the guest waiting for DONE). */
  readonly long: number;
  /** For a thread waiting for work: the idle device (doorbell), an idle pool worker (ring). */
  readonly idle: number;
  /**
   * Threads of the machine that may spin at once; the others park at once (0: no limit). On N cores a
   * spinner must never hold the core the thread it waits for needs, so the default is N - 1 (at least 1).
   */
  readonly spinners: number;
  /**
   * A waiting guest's spin on DONE lasts about as long as its recent completions took (twice their running
   * average, at most `long`), and none for a while after a full `long` spin missed (runtime/spin-history.ts).
   * False: every such spin takes up to `long` loads.
   */
  readonly adaptive: boolean;
}

/** Where port writes are handled (MachineConfig.device). */
export type DevicePlacement = 'thread' | 'emt';

/** Everything a Machine can be configured with. All fields are optional. */
export interface MachineConfig {
  /** vCPU worker threads (default 2). */
  readonly vcpus?: number;
  /** Guest RAM in bytes, a multiple of 4096 (default 64 MiB). */
  readonly ramBytes?: number;
  /** VbglR0PhysHeap size (default 8 MiB). */
  readonly heapBytes?: number;
  /** Host pool workers running services (default 2). */
  readonly hostWorkers?: number;
  /**
   * Take the threads of a machine stopped in the last 10 s instead of starting new ones (its host pool,
   * with as many host workers; its idle vCPU threads), and leave this one's to the next when it stops
   * cleanly (machine/spare-pools.ts). Their modules are loaded, but a module's top-level state (a
   * service's, a guest program's) is then the thread's, not the machine's: keep per-machine state in
   * `setup`, the service's shared memory or the program's own run. Default true.
   */
  readonly reuseWorkers?: boolean;
  /** Services besides the built-ins. */
  readonly services?: readonly ServiceConfig[];
  /**
   * Shared folders: when given (even empty), the "VBoxSharedFolders" service is registered with these
   * mappings (name -> host directory, writable, symlink creation, case sensitivity, automount).
   */
  readonly sharedFolders?: readonly SharedFolderConfig[];
  /**
   * Handles one Shared Folders client may hold open (default 1024; upstream has no such quota, and one
   * client can take all 4095). Shares can be added and removed while the machine runs: Machine.shares.
   */
  readonly sharedFolderHandleQuota?: number;
  /**
   * A slow host, for diagnostics (`hgcm mount --host-delay`): Shared Folders calls of `functions` (default
   * READ and WRITE) complete `ms` after they arrive; a call cancelled meanwhile completes VERR_CANCELLED and
   * never reaches the file (vbsf/slow-host.ts). Default: none.
   */
  readonly hostDelay?: { readonly ms: number; readonly functions?: readonly number[] };
  /** Register the test services "echo", "noop", "delay", "echo-inline" and "noop-inline" (default true). */
  readonly builtinServices?: boolean;
  /** false: an "old host" without HGCMCancel2 (VERR_NOT_IMPLEMENTED; the guest falls back). Default true. */
  readonly cancel2?: boolean;
  /** VMMDEV_HVF_* the host reports (default everything 7.0 reports, 0x8000000F). */
  readonly hostFeatures?: number;
  /** Version GetHostVersion reports (default 7.0.14 r161095). */
  readonly hostVersion?: HostVersion;
  /** Guest library: flavour, leak scope, grace lengths. */
  readonly guest?: Partial<GuestLibConfig>;
  readonly spin?: Partial<SpinPolicy>;
  /**
   * Where port writes are handled: 'emt' (default), on the vCPU's own thread under the device's request
   * lock, as upstream's EMT handles its `out`; or 'thread', by the VMMDev worker the vCPU rings (one
   * thread hop and usually one wake-up more per request; `hgcm bench --device thread` measures both). The
   * stress harness pins 'thread': the device as an actor of its own gives the scheduler more to explore.
   */
  readonly device?: DevicePlacement;
  /**
   * Where services run their calls, for every service whose ServiceConfig names no placement (the Shared
   * Folders service included): 'pool' (a host worker; upstream runs svcCall on the service's own thread,
   * so a call costs a thread switch there too) or 'emt' (default: the calls a service says finish inside
   * svcCall run on the thread handling the port write, with no hop, the rest in the pool). Services that
   * say nothing (HgcmService.completesInCall) always use the pool. `hgcm bench --placement` measures both.
   */
  readonly servicePlacement?: ServicePlacement;
  /**
   * Where VMMDev's interrupt goes: 'one' vCPU (default), as an I/O APIC routes a PCI interrupt in
   * lowest-priority mode, to a vCPU halted in an HGCM wait (the one whose request completed, if it waits),
   * whose ISR then wakes only the waiters it must (the guest flavour's isrWake); or 'all' vCPUs, each
   * woken, the first to look running the ISR (the model before; one wake-up per vCPU per interrupt).
   */
  readonly irqDelivery?: 'one' | 'all';
  /** Pending HGCM commands the host holds at once (default 1024). */
  readonly commandSlots?: number;
  /** HGCM clients at once (default 4096). */
  readonly clientSlots?: number;
  /** Bytes for request snapshots (the host's heap budget; default 32 MiB). */
  readonly snapshotBytes?: number;
  /**
   * Host buffer bytes the pending calls may hold together (the host copies of their buffers); a call that
   * would exceed it fails with VERR_NO_MEMORY at submission. Default: an eighth of `ramBytes` within
   * [32 MiB, 1 GiB] (upstream's heap budget: RAM/8 shared by its three requestor categories).
   */
  readonly hostMemoryBytes?: number;
  /** Where log lines go (default: dropped; see Machine.logs()). */
  readonly log?: (line: string) => void;
  /**
   * Check every host write against the guest heaps (NoWriteAfterFree; counted as audit.writeAfterFree).
   * Costs a heap walk per completion: for tests and stress runs. Default false.
   */
  readonly audit?: boolean;
  /** Faults (host faults or mutations) switched on from the start; see runtime/faults.ts. */
  readonly faults?: readonly FaultName[];
  /**
   * Reproduce two host-side defects of VirtualBox that the model otherwise fixes (default false):
   * a cancel hits the newest command at the address even if it was already cancelled, so a reused
   * address can make a cancel "succeed" for the wrong call (a write after free; see CancelMatch); and a
   * completion that finds the call rewritten as HGCMCancel (the legacy fallback lost the race) writes
   * only result and DONE, so the guest takes the call as completed without its output parameters.
   */
  readonly upstreamDefects?: boolean;
  /**
   * The shared trace ring (runtime/trace-ring.ts), keeping the last `capacity` records per thread (default
   * 4096). `enabled` records the spans of 1 in `sample` guest calls (off by default; see `hgcm trace`,
   * `Machine.trace`); `steps` records every interleaving point every thread passes, traced call or not
   * (the stress harness's step log; off by default). With both off a recording site costs one test.
   */
  readonly trace?: {
    readonly enabled?: boolean;
    readonly sample?: number;
    readonly capacity?: number;
    readonly steps?: boolean;
  };
  /**
   * Controlled threads (runtime/control.ts): every thread publishes where it is and, while a coordinator
   * decides (the stress harness's controlled executor), stops at each protocol point until granted a step.
   * No spinning (the thread a waiter waits for is stopped). Default false: no gate at all.
   */
  readonly controlled?: boolean;
}

/** A config with every default filled in and checked. */
export interface ResolvedConfig {
  readonly vcpus: number;
  readonly ramBytes: number;
  readonly heapBytes: number;
  readonly hostWorkers: number;
  readonly reuseWorkers: boolean;
  readonly services: readonly ServiceConfig[];
  readonly cancel2: boolean;
  readonly hostFeatures: number;
  readonly hostVersion: HostVersion;
  readonly guest: GuestLibConfig;
  readonly spin: SpinPolicy;
  readonly device: DevicePlacement;
  readonly servicePlacement: ServicePlacement;
  readonly irqDelivery: 'one' | 'all';
  readonly commandSlots: number;
  readonly clientSlots: number;
  readonly snapshotBytes: number;
  readonly hostMemoryBytes: number;
  readonly audit: boolean;
  readonly faults: readonly FaultName[];
  readonly upstreamDefects: boolean;
  readonly trace: {
    readonly enabled: boolean;
    readonly sample: number;
    readonly capacity: number;
    readonly steps: boolean;
  };
  readonly controlled: boolean;
}

/** VirtualBox 7.0.14 r161095, the release the model follows. */
export const DEFAULT_HOST_VERSION: HostVersion = { major: 7, minor: 0, build: 14, revision: 161095 };

/**
 * The default spin policy, measured with `hgcm bench policy` and the hgcm suite on 2-core machines: a
 * guest waiting for DONE spins (up to ~100 us) when a core is free for it, which saves the wake-up that is
 * half of a pool call; idle pool threads park at once; at most cores - 1 threads spin, and none while the
 * machine's working threads already fill the cores (runtime/spin-gate.ts). An idle spin (`idle: 2000`)
 * saves the other wake-up when the guest calls again at once (a pool call 0.31x of a comlink call instead
 * of 0.67x on a quiet 2-core machine) but spins after every pool call, on cores other work may need:
 * docs/bench.md ("An idle spin").
 */
export const DEFAULT_SPIN: SpinPolicy = {
  short: 2000,
  long: 20_000,
  idle: 0,
  spinners: Math.max(1, os.availableParallelism() - 1),
  adaptive: true,
};

/** The built-in test services; "echo-inline" and "noop-inline" run their calls on the device thread. */
export function builtinServices(): ServiceConfig[] {
  return [
    ...(['echo', 'noop', 'delay'] as const).map((name) => ({ name, module: builtinServiceModule(name) })),
    ...(['echo', 'noop'] as const).map((name) => ({
      name: `${name}-inline`,
      module: builtinServiceModule(name),
      export: 'inline',
    })),
  ];
}

function int(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < min || x > max)
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${x}`);
  return x;
}

function irqDelivery(v: 'one' | 'all' | undefined): 'one' | 'all' {
  const x = v ?? 'one';
  if (x !== 'one' && x !== 'all')
    throw new ConfigError(`irqDelivery must be 'one' or 'all', got ${String(x)}`);
  return x;
}

/** Fill in defaults and reject impossible values with a ConfigError. */
export function resolveConfig(c: MachineConfig = {}): ResolvedConfig {
  const ramBytes = int('ramBytes', c.ramBytes, 64 << 20, 1 << 20, 2 ** 31);
  const heapBytes = int('heapBytes', c.heapBytes, 8 << 20, 64 << 10, ramBytes / 2);
  if (ramBytes % 4096 !== 0 || heapBytes % 4096 !== 0)
    throw new ConfigError('ramBytes and heapBytes must be multiples of 4096');
  const guest = { ...DEFAULT_GUEST_LIB, ...c.guest };
  if (!(guest.flavor in FLAVORS)) throw new ConfigError(`unknown guest flavor ${String(guest.flavor)}`);
  if (guest.leakScope !== 'strict' && guest.leakScope !== 'faithful')
    throw new ConfigError(`leakScope must be strict or faithful`);
  int('guest.graceNotFoundMs', guest.graceNotFoundMs, 500, 0, 600_000);
  int('guest.graceOtherMs', guest.graceOtherMs, 2000, 0, 600_000);
  const delayMs = int('hostDelay.ms', c.hostDelay?.ms, 0, 0, SLOW_HOST_MAX_DELAY_MS);
  const folders: ServiceConfig[] =
    c.sharedFolders === undefined
      ? []
      : [
          delayMs === 0
            ? {
                name: VBSF_SERVICE_NAME,
                module: vbsfServiceModule(),
                config: {
                  mappings: c.sharedFolders,
                  ...(c.sharedFolderHandleQuota === undefined
                    ? {}
                    : { handleQuota: c.sharedFolderHandleQuota }),
                },
              }
            : {
                name: VBSF_SERVICE_NAME,
                module: slowHostModule(),
                config: {
                  mappings: c.sharedFolders,
                  ...(c.sharedFolderHandleQuota === undefined
                    ? {}
                    : { handleQuota: c.sharedFolderHandleQuota }),
                  delayMs,
                  functions: c.hostDelay?.functions,
                },
              },
        ];
  const servicePlacement = c.servicePlacement ?? 'emt';
  if (servicePlacement !== 'pool' && servicePlacement !== 'emt')
    throw new ConfigError(`servicePlacement must be 'pool' or 'emt', got ${String(servicePlacement)}`);
  const services = [
    ...(c.builtinServices === false ? [] : builtinServices()),
    ...(c.services ?? []),
    ...folders,
  ].map((s) => ({
    ...s,
    placement: s.placement ?? servicePlacement,
    // Plain strings travel to worker threads; URL objects do not.
    module: s.module instanceof URL ? s.module.href : s.module,
  }));
  return {
    vcpus: int('vcpus', c.vcpus, 2, 1, MAX_VCPUS),
    ramBytes,
    heapBytes,
    hostWorkers: int('hostWorkers', c.hostWorkers, 2, 1, 64),
    reuseWorkers: c.reuseWorkers ?? true,
    services,
    cancel2: c.cancel2 ?? true,
    hostFeatures: (c.hostFeatures ?? ALL_HOST_FEATURES) >>> 0,
    hostVersion: c.hostVersion ?? DEFAULT_HOST_VERSION,
    guest,
    spin: {
      short: int('spin.short', c.spin?.short, DEFAULT_SPIN.short, 0, 10_000_000),
      long: int('spin.long', c.spin?.long, DEFAULT_SPIN.long, 0, 10_000_000),
      idle: int('spin.idle', c.spin?.idle, DEFAULT_SPIN.idle, 0, 10_000_000),
      spinners: int('spin.spinners', c.spin?.spinners, DEFAULT_SPIN.spinners, 0, 1024),
      adaptive: c.spin?.adaptive ?? DEFAULT_SPIN.adaptive,
    },
    device: deviceMode(c.device),
    servicePlacement,
    irqDelivery: irqDelivery(c.irqDelivery),
    commandSlots: int('commandSlots', c.commandSlots, 1024, 1, 65536),
    clientSlots: int('clientSlots', c.clientSlots, 4096, 16, 1 << 20),
    snapshotBytes: int('snapshotBytes', c.snapshotBytes, 32 << 20, 1 << 20, 1 << 30),
    hostMemoryBytes: int(
      'hostMemoryBytes',
      c.hostMemoryBytes,
      Math.min(1 << 30, Math.max(32 << 20, Math.floor(ramBytes / 8))),
      1 << 20,
      2 ** 31 - 1,
    ),
    audit: c.audit ?? false,
    upstreamDefects: c.upstreamDefects ?? false,
    trace: {
      enabled: c.trace?.enabled ?? false,
      sample: int('trace.sample', c.trace?.sample, 1, 1, 1 << 30),
      capacity: int('trace.capacity', c.trace?.capacity, 4096, 16, 1 << 22),
      steps: c.trace?.steps ?? false,
    },
    faults: (c.faults ?? []).map((f) => FAULT_NAMES[faultIndex(f)]!),
    controlled: c.controlled ?? false,
  };
}

/** The shared memory and data every thread of a machine receives. */
export interface MachineShared {
  readonly config: ResolvedConfig;
  readonly ram: SharedArrayBuffer;
  readonly bus: SharedArrayBuffer;
  readonly cmds: SharedArrayBuffer;
  readonly snaps: SharedArrayBuffer;
  readonly clients: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly faults: SharedArrayBuffer;
  readonly hooks: SharedArrayBuffer;
  readonly trace: SharedArrayBuffer;
  /** Two words: the threads spinning now, the threads working now (runtime/spin-gate.ts). */
  readonly spinGate: SharedArrayBuffer;
  readonly services: readonly ServiceSpec[];
  /** A controlled machine's control block (runtime/control.ts), one slot per trace slot; else undefined. */
  readonly control?: SharedArrayBuffer | undefined;
}

function deviceMode(v: unknown): DevicePlacement {
  if (v === undefined) return 'emt';
  if (v === 'thread' || v === 'emt') return v;
  throw new ConfigError(`device must be 'thread' or 'emt', got ${String(v)}`);
}
