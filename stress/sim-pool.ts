// Sim machines kept between runs of a campaign: one booted machine per machine configuration, reset to its
// post-boot image before each run (SimMachine.reset) instead of built and booted afresh. A run on a reset
// machine is the run a fresh machine makes, so replays and shards do not depend on what ran before; what
// changes is the cost (no shared memory allocated per run, so a long campaign's memory stays flat, where
// thousands of garbage SharedArrayBuffers used to wait for a collection the external-memory heuristics
// put off to well past 2 GB). A workload with a share gets a machine that owns a host directory: the
// shared file is rewritten for each run, and the directory removed with the machine.
import { SimMachine, type MachinePoint } from '../src/machine/index.js';
import { firstStrategy, type SimObserver, type TimeProfile } from '../src/sim/index.js';
import { createShare, machineConfig, removeShare, resetShare, type HostShare } from './machine-config.js';
import { World } from './oracle/world.js';
import type { Workload } from './workload.js';

/** What a run sets on the machine it gets. */
export interface RunSettings {
  readonly profile: TimeProfile;
  readonly observer: SimObserver;
  readonly trace: boolean;
  readonly maxSteps: number;
}

/** What a run's prelude left besides the machine's state: the clients it connected, what the monitor saw. */
export interface PreludeResult {
  readonly clientIds: readonly number[];
  readonly tags: readonly string[];
  readonly ticks: number;
}

/** A machine state right after a prelude, and what that prelude did. */
interface SavedPrelude {
  readonly point: MachinePoint;
  readonly result: PreludeResult;
}

/** A booted machine the pool keeps, with its share (a workload with one) and the preludes it can skip. */
class Kept {
  readonly m: SimMachine;
  /** The oracles' view of the machine (views only: built once per machine). */
  readonly world: World;
  readonly share: HostShare | undefined;
  readonly key: string;
  /** Machine states right after a prelude, by the shared clients it connected. */
  readonly preludes = new Map<string, SavedPrelude>();

  constructor(m: SimMachine, share: HostShare | undefined, key: string) {
    this.m = m;
    this.world = new World(m.shared);
    this.share = share;
    this.key = key;
  }
}

/** A machine lent out for one run. */
export class Lease {
  /** What the pool keeps of it. */
  readonly kept: Kept;
  /** Set when the machine starts past its prelude: what that prelude did. */
  readonly prelude: PreludeResult | undefined;
  private readonly preludeKey: string | undefined;

  constructor(kept: Kept, prelude: PreludeResult | undefined, preludeKey: string | undefined) {
    this.kept = kept;
    this.prelude = prelude;
    this.preludeKey = preludeKey;
  }

  get m(): SimMachine {
    return this.kept.m;
  }

  get world(): World {
    return this.kept.world;
  }

  /** The share it serves (a workload with a share). */
  get share(): HostShare | undefined {
    return this.kept.share;
  }

  /** After a clean prelude on this machine: keep the machine as it stands for the next such runs. */
  keepPrelude(result: PreludeResult): void {
    const k = this.preludeKey;
    if (k !== undefined && !this.kept.preludes.has(k))
      this.kept.preludes.set(k, { point: this.m.save(), result });
  }
}

/**
 * The prelude's identity: the shared clients it connects, in order. A share's prelude also opens the
 * share's file, whose content is each run's own: those are not kept.
 */
function preludeKey(w: Workload): string | undefined {
  if (w.share !== undefined) return undefined;
  return w.clients
    .filter((c) => c.owner === -1)
    .map((c) => c.service)
    .join(',');
}

/** Booted machines by configuration, least recently used first out. */
export class SimMachinePool {
  private readonly idle = new Map<string, Kept>();
  /** Machines kept at most (each holds what its runs wrote twice: live and the post-boot image). */
  readonly capacity: number;
  created = 0;
  reused = 0;
  dropped = 0;

  constructor(capacity = 64) {
    this.capacity = capacity;
  }

  /**
   * A machine for `w`, booted, its device and host workers idle, its share fresh, set up for one run:
   * at the state its prelude leaves if this machine ran that prelude before, else right after its boot.
   */
  async get(w: Workload, run: RunSettings): Promise<Lease> {
    // What machineConfig builds the machine from (the share's directory is the machine's own).
    let vcpus = 1;
    for (const t of w.threads) vcpus = Math.max(vcpus, t.vcpu + 1);
    // (The workload's faults are switched at run time: machines start with every fault off.)
    const key = `${vcpus} ${w.share === undefined ? '-' : 'share'} ${JSON.stringify({ ...w.config, faults: undefined })}`;
    const pkey = preludeKey(w);
    let kept = this.idle.get(key);
    let prelude: SavedPrelude | undefined;
    if (kept !== undefined) {
      this.idle.delete(key);
      prelude = pkey === undefined ? undefined : kept.preludes.get(pkey);
      if (prelude !== undefined) kept.m.restore(prelude.point);
      else kept.m.reset();
      if (kept.share !== undefined) resetShare(kept.share, w);
      this.reused++;
    } else {
      const share = createShare(w);
      try {
        const m = await SimMachine.create(machineConfig(w, share), {
          seed: 0,
          strategy: firstStrategy,
          sim: { waits: 'cell' },
          recyclable: true,
        });
        kept = new Kept(m, share, key);
      } catch (e) {
        removeShare(share);
        throw e;
      }
      this.created++;
    }
    kept.m.sim.reconfigure({
      time: run.profile,
      observer: run.observer,
      trace: run.trace,
      maxSteps: run.maxSteps,
    });
    return new Lease(kept, prelude?.result, pkey);
  }

  /**
   * Take a machine back after its run. Only one whose run ended cleanly is kept (no violation, no throw,
   * no divergence): an actor stopped halfway through a step may leave state no image restores (a tracer's
   * flag, a host file left open), so any other machine is dropped, its share removed.
   */
  put(lease: Lease, clean: boolean): void {
    const kept = lease.kept;
    if (!clean || this.capacity === 0) {
      removeShare(kept.share);
      this.dropped++;
      return;
    }
    kept.m.park();
    this.idle.set(kept.key, kept);
    while (this.idle.size > this.capacity) {
      const [oldest, gone] = this.idle.entries().next().value!;
      this.idle.delete(oldest);
      removeShare(gone.share);
    }
  }

  /** Drop every kept machine and remove their shares. */
  clear(): void {
    for (const l of this.idle.values()) removeShare(l.share);
    this.idle.clear();
  }
}

/** The process's pool (campaigns, replays and the self-test all draw from it). */
export const simMachines = new SimMachinePool();
// Kept machines' host directories go with the process, however it ends its work.
process.once('exit', () => simMachines.clear());
