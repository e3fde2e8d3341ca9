// The machine a stress run builds from a workload: small memory (thousands of machines per campaign), the
// auditor on, the harness's test services registered beside the built-ins.
import type { MachineConfig } from '../src/machine/config.js';
import type { FaultName } from '../src/runtime/faults.js';
import type { Workload } from './workload.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** URL of one of the harness's services. */
export function stressService(name: 'histfile' | 'sloppy'): string {
  return new URL(`./services/${name}${ext}`, import.meta.url).href;
}

/** The machine config of a run: the workload's, plus extra faults (mutations under test). */
export function machineConfig(w: Workload, faults: readonly FaultName[] = []): MachineConfig {
  return {
    vcpus: w.threads.reduce((n, t) => Math.max(n, t.vcpu + 1), 1),
    ramBytes: 1 << 20,
    heapBytes: 192 << 10,
    snapshotBytes: 1 << 20,
    commandSlots: 64,
    clientSlots: 32,
    audit: true,
    ...w.config,
    services: [
      { name: 'histfile', module: stressService('histfile') },
      { name: 'sloppy', module: stressService('sloppy') },
    ],
    faults: [...(w.config.faults ?? []), ...faults],
  };
}
