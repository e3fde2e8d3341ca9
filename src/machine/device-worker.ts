// Worker entry of the VMMDev device thread: attach to the machine's memory and run the device loop
// (blocking in Atomics.wait on the doorbell) until the machine asks it to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { runSync, wallClock } from '../runtime/proc.js';
import { deviceLoop } from '../vmmdev/device.js';
import { attachDeviceEnv, threadExec } from './assemble.js';
import type { MachineShared } from './config.js';
import type { WorkerMessage } from './messages.js';

const { shared } = workerData as { shared: MachineShared };
const post = (m: WorkerMessage): void => parentPort?.postMessage(m);
const dev = attachDeviceEnv(shared, wallClock, (line) => post({ type: 'log', line: `device: ${line}` }));
post({ type: 'ready' });
runSync(deviceLoop(dev), threadExec(shared, { k: 'device' }));
post({ type: 'stopped' });
