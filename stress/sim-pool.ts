// Sim machines kept between runs of a campaign: one booted machine per machine configuration, reset to its
// post-boot image before each run (SimMachine.reset) instead of built and booted afresh. A run on a reset
// machine is the run a fresh machine makes, so replays and shards do not depend on what ran before; what
// changes is the cost (no shared memory allocated per run, so a long campaign's memory stays flat, where
// thousands of garbage SharedArrayBuffers used to wait for a collection the external-memory heuristics
// put off to well past 2 GB). A workload with a share gets a machine that owns a host directory: the
// shared file is rewritten for each run, and the directory removed with the machine.
import { SimMachine } from '../src/machine/sim-machine.js';
import { firstStrategy } from '../src/sim/strategies.js';
import type { SimObserver, TimeProfile } from '../src/sim/sim.js';
import { createShare, machineConfig, removeShare, resetShare, type HostShare } from './machine-config.js';
import type { Workload } from './workload.js';

/** What a run sets on the machine it gets. */
export interface RunSettings {
  readonly profile: TimeProfile;
  readonly observer: SimObserver;
  readonly trace: boolean;
  readonly maxSteps: number;
}

/** A machine lent out for one run, with the share it serves (a workload with a share). */
export interface Lease {
  readonly m: SimMachine;
  readonly share: HostShare | undefined;
  readonly key: string;
}

/** Booted machines by configuration, least recently used first out. */
export class SimMachinePool {
  private readonly idle = new Map<string, Lease>();
  /** Machines kept at most (each holds what its runs wrote twice: live and the post-boot image). */
  readonly capacity: number;
  created = 0;
  reused = 0;

  constructor(capacity = 64) {
    this.capacity = capacity;
  }

  /** A machine for `w`, booted, its device and host workers idle, its share fresh, set up for one run. */
  async get(w: Workload, run: RunSettings): Promise<Lease> {
    // The share's directory is the machine's own: the key leaves its path out.
    const key = JSON.stringify(machineConfig(w, w.share === undefined ? undefined : { dir: '', file: '' }));
    let lease = this.idle.get(key);
    if (lease !== undefined) {
      this.idle.delete(key);
      lease.m.reset();
      if (lease.share !== undefined) resetShare(lease.share, w);
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
        lease = { m, share, key };
      } catch (e) {
        removeShare(share);
        throw e;
      }
      this.created++;
    }
    lease.m.sim.reconfigure({
      time: run.profile,
      observer: run.observer,
      trace: run.trace,
      maxSteps: run.maxSteps,
    });
    return lease;
  }

  /**
   * Take a machine back after its run. Only one whose run ended cleanly is kept (no violation, no throw,
   * no divergence): an actor stopped halfway through a step may leave state no image restores (a tracer's
   * flag, a host file left open), so any other machine is dropped, its share removed.
   */
  put(lease: Lease, clean: boolean): void {
    if (!clean || this.capacity === 0) {
      removeShare(lease.share);
      return;
    }
    this.idle.set(lease.key, lease);
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
