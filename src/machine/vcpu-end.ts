// The end of a vCPU worker as a promise, so that every run() on it settles (main thread): a program still
// running when its vCPU's thread exits (stop() terminated it, or it died) can never return, and comlink's
// promise for it would wait forever.
import type { Worker } from 'node:worker_threads';
import { MachineStateError, WorkerError } from '../runtime/index.js';

/**
 * A promise that rejects when `worker` exits: with a MachineStateError ("machine stopped ...") if
 * `stopping()` says the machine is stopping, else a WorkerError naming the thread and its exit code.
 * It never resolves, and a rejection nobody awaits is not reported as unhandled.
 */
export function vcpuEnd(worker: Worker, name: string, stopping: () => boolean): Promise<never> {
  const ended = new Promise<never>((_resolve, reject) => {
    worker.once('exit', (code) =>
      reject(
        stopping()
          ? new MachineStateError(`machine stopped while a program ran on ${name}`)
          : new WorkerError(`${name} exited (code ${code}) while a program ran on it`),
      ),
    );
  });
  ended.catch(() => undefined);
  return ended;
}
