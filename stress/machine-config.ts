// The machine a stress run builds from a workload: small memory (thousands of machines per campaign), the
// auditor on, the harness's test services registered beside the built-ins.
import type { MachineConfig } from '../src/machine/config.js';
import { FAULT_NAMES, FaultTable, type FaultName } from '../src/runtime/faults.js';
import type { Workload } from './workload.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** URL of one of the harness's services. */
export function stressService(name: 'histfile' | 'sloppy'): string {
  return new URL(`./services/${name}${ext}`, import.meta.url).href;
}

/**
 * The machine config of a run. It starts with every fault off: the harness's own set-up (connecting the
 * shared clients) and tear-down must work; `switchFaults` turns the run's faults on for the threads.
 */
export function machineConfig(w: Workload): MachineConfig {
  return {
    vcpus: w.threads.reduce((n, t) => Math.max(n, t.vcpu + 1), 1),
    ramBytes: 1 << 20,
    heapBytes: 192 << 10,
    snapshotBytes: 1 << 20,
    commandSlots: 64,
    clientSlots: 32,
    audit: true,
    // The device as its own actor (thread): more interleavings than port writes handled in the vCPU.
    device: 'thread',
    ...w.config,
    services: [
      { name: 'histfile', module: stressService('histfile') },
      { name: 'sloppy', module: stressService('sloppy') },
    ],
    faults: [],
  };
}

/** Turn on exactly the workload's faults plus `extra` (mutations under test), or with `off`, none. */
export function switchFaults(
  table: SharedArrayBuffer,
  w: Workload,
  extra: readonly FaultName[],
  off = false,
): void {
  const on = new Set<string>(off ? [] : [...(w.config.faults ?? []), ...extra]);
  const t = new FaultTable(table);
  for (const f of FAULT_NAMES) t.set(f, on.has(f));
}
