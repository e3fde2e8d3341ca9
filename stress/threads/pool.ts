// Machines kept between threads runs with the same configuration (starting one costs far more than a run):
// every workload fits 4 vCPUs and 2 host workers, so a handful of configurations serve the catalogue. A
// machine that saw anything wrong (a violation, a crash, a hang) is never handed out again: a broken
// quarantine, a stuck command or a corrupt heap would surface in the next run as someone else's failure.
import { Machine, type MachineConfig } from '../../src/machine/index.js';
import { histFileBytes } from '../services/histfile.js';
import { machineConfig, switchFaults, type HostShare } from '../machine-config.js';
import type { Workload } from '../workload.js';

/**
 * The configuration a threads run's machine has: the workload's, widened to 4 vCPUs and 2 host workers;
 * `controlled` for the controlled executor (every thread stops at its gates while a coordinator decides).
 */
export function threadsConfig(w: Workload, share?: HostShare, controlled = false): MachineConfig {
  return {
    ...machineConfig(w, share),
    vcpus: 4,
    hostWorkers: 2,
    trace: { capacity: 1 << 13, steps: true },
    ...(controlled ? { controlled } : {}),
  };
}

/** Machines by configuration. */
export class MachinePool {
  private readonly machines = new Map<string, { m: Machine; runs: number }>();
  /** Runs one machine serves before it is replaced (quarantine and lost commands accumulate). */
  readonly runsPerMachine: number;
  /** Controlled machines (the controlled executor's pool). */
  readonly controlled: boolean;

  constructor(runsPerMachine = 25, controlled = false) {
    this.runsPerMachine = runsPerMachine;
    this.controlled = controlled;
  }

  /**
   * A machine for this workload, every fault off, its file cleared. A workload with a share gets a machine
   * of its own on that share (`share`, a fresh directory per run), not kept: `discard` it afterwards.
   */
  async get(w: Workload, share?: HostShare): Promise<Machine> {
    const config = threadsConfig(w, share, this.controlled);
    if (share !== undefined) return Machine.start(config);
    const key = JSON.stringify({ ...config, faults: [] });
    let e = this.machines.get(key);
    if (e !== undefined && e.runs >= this.runsPerMachine) {
      this.machines.delete(key);
      await e.m.stop();
      e = undefined;
    }
    if (e === undefined) {
      e = { m: await Machine.start({ ...config, faults: [] }), runs: 0 };
      this.machines.set(key, e);
    }
    e.runs++;
    switchFaults(e.m.sharedMemory.faults, w, [], true);
    const file = e.m.sharedMemory.services.find((s) => s.name === 'histfile')?.shared;
    if (file !== undefined) histFileBytes(file).fill(0);
    return e.m;
  }

  /** Machines kept now. */
  get size(): number {
    return this.machines.size;
  }

  /**
   * Stop a machine and forget it (after anything went wrong on it; a share's machine). Never throws. A
   * program still running is abandoned at once (waitMs 0): after a hang it never returns, and stop()'s
   * default wait held every hung run for 5 s more.
   */
  async discard(m: Machine): Promise<void> {
    for (const [k, e] of this.machines) if (e.m === m) this.machines.delete(k);
    try {
      await m.stop({ waitMs: 0 });
    } catch {
      // A machine that failed may fail to stop cleanly too; its workers are terminated either way.
    }
  }

  async stop(): Promise<void> {
    for (const e of this.machines.values()) await e.m.stop();
    this.machines.clear();
  }
}
