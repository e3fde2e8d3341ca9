// Worker entry of the VMMDev device thread: attach to the machine's memory and run the device loop
// (blocking in Atomics.wait on the doorbell) until the machine asks it to stop. Inline services are loaded
// here too: their calls run on this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { loadServices } from '../hgcm/index.js';
import { asMachineWork, runSync } from '../runtime/index.js';
import { deviceLoop } from '../vmmdev/index.js';
import { attachDeviceEnv, machineClock, threadExec } from './assemble.js';
import type { MachineShared } from './config.js';
import type { WorkerMessage } from './messages.js';

const { shared } = workerData as { shared: MachineShared };
const post = (m: WorkerMessage): void => parentPort?.postMessage(m);
const services = await loadServices(shared.services, (spec) => spec.onDevice);
const dev = attachDeviceEnv(
  shared,
  machineClock(shared),
  (line) => post({ type: 'log', line: `device: ${line}` }),
  {
    services,
    spawn: (proc) => void runSync(proc, opts),
  },
);
const opts = threadExec(shared, dev.tracer);
post({ type: 'ready' });
asMachineWork(opts, () => runSync(deviceLoop(dev), opts));
post({ type: 'stopped' });
